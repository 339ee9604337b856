//! Configuration packs: YAML files describing the files, directories,
//! packages, settings and services a machine should have (docs/packs.md),
//! and the compliance check against a host.
//!
//! Pure core, thin shell: [`loader`] reads a directory into a [`PackSet`]
//! (bad packs reported with `file:line:column` and skipped),
//! [`check_script::build`] turns a resolved pack into one read-only shell
//! script, [`report::parse`] reads its output defensively, and
//! [`compare::compare`] yields the mismatches. The loader reads files; the
//! SSH round trip lives with the caller (one `sh -c <script>` exec), and
//! the hub's `compliance::packs_dir` loads the directory at start.

pub mod apply_script;
pub mod check_script;
pub mod compare;
pub mod fleet;
pub mod loader;
pub mod model;
pub mod plan;
pub mod report;
pub mod template;

pub use compare::{Comparison, compare};
pub use loader::{PackError, PackSet, ResolvedPack, load_dir};

use report::Counts;

impl ResolvedPack {
    /// Item counts, for [`report::parse`].
    pub fn counts(&self) -> Counts {
        Counts {
            files: self.items.files.len(),
            directories: self.items.directories.len(),
            packages: self.items.packages.len(),
            settings: self.items.settings.len(),
            services: self.items.services.len(),
        }
    }
}

/// Check a pack against a host's check-script output: parse, then compare.
pub fn evaluate(pack: &ResolvedPack, stdout: &[u8]) -> Comparison {
    compare(pack, &report::parse(stdout, pack.counts()))
}
