//! Everything the hub does on a machine goes through here: the audited
//! executor over pooled SSH (`executor`, transport in `homelabcmd_ssh`) and
//! the encryption of stored secrets (`crypto`). [`Exec`] is the seam
//! compliance checks and pack apply run through, so they are unit-tested
//! with a scripted double (`scripted`). Credential resolution is pure
//! (`homelabcmd_core::credentials`).

pub mod crypto;
pub mod executor;
#[cfg(test)]
pub mod scripted;

pub use executor::Exec;
