//! Building the one command string an SSH `exec` request carries.
//!
//! SSH has no argv: the server hands a single string to the user's login
//! shell (`$SHELL -c '<string>'`). Every argument is therefore quoted with
//! strict POSIX single quotes, so the remote shell sees exactly our argv and
//! never expands `;`, `&&`, `$( )`, backticks, globs or newlines. Pure
//! functions, unit-tested below.

use std::time::Duration;

use homelabcmd_core::shell::join_argv;

use super::SshError;

/// Seconds the remote `timeout` waits after SIGTERM before SIGKILL.
pub(crate) const REMOTE_KILL_AFTER_SECS: u64 = 2;
/// The remote `timeout` fires this many seconds after the client gave up, so
/// the client reports [`SshError::Timeout`] and the remote side still
/// cleans up when the client cannot (link down).
pub(crate) const REMOTE_SLACK_SECS: u64 = 1;

/// How the command is elevated on the remote host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SudoKind {
    None,
    /// `sudo -n`: fails instead of prompting.
    NoPassword,
    /// `sudo -S -p '' -k`: password read from stdin (written by the pool as
    /// the first line), no prompt text, cached credentials ignored.
    Password,
}

/// The remote timeout for a client timeout: whole seconds, at least 1,
/// plus [`REMOTE_SLACK_SECS`].
pub(crate) fn remote_timeout_secs(timeout: Duration) -> u64 {
    timeout.as_secs_f64().ceil().max(1.0) as u64 + REMOTE_SLACK_SECS
}

/// The full command line for an exec request:
///
/// ```text
/// exec [sudo -n -- | sudo -S -p '' -k --] timeout -k 2 <secs> <argv...>
/// ```
///
/// `timeout` (coreutils) runs inside sudo so it can kill a root command;
/// `exec` saves the login shell's fork. Rejects an empty argv, an empty
/// program name and NUL bytes (which cannot cross `execve`).
pub(crate) fn remote_command(
    argv: &[String],
    sudo: SudoKind,
    timeout: Duration,
) -> Result<String, SshError> {
    let Some(program) = argv.first() else {
        return Err(SshError::InvalidRequest("argv is empty".into()));
    };
    if program.is_empty() {
        return Err(SshError::InvalidRequest("argv[0] is empty".into()));
    }
    if let Some(i) = argv.iter().position(|w| w.contains('\0')) {
        return Err(SshError::InvalidRequest(format!(
            "argv[{i}] contains a NUL byte"
        )));
    }
    let sudo = match sudo {
        SudoKind::None => "",
        SudoKind::NoPassword => "sudo -n -- ",
        SudoKind::Password => "sudo -S -p '' -k -- ",
    };
    Ok(format!(
        "exec {sudo}timeout -k {REMOTE_KILL_AFTER_SECS} {secs} {argv}",
        secs = remote_timeout_secs(timeout),
        argv = join_argv(argv),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn remote_command_wraps_timeout_and_sudo() {
        let t = Duration::from_secs(30);
        assert_eq!(
            remote_command(&argv(&["echo", "a b"]), SudoKind::None, t).unwrap(),
            "exec timeout -k 2 31 echo 'a b'"
        );
        assert_eq!(
            remote_command(&argv(&["id", "-u"]), SudoKind::NoPassword, t).unwrap(),
            "exec sudo -n -- timeout -k 2 31 id -u"
        );
        assert_eq!(
            remote_command(
                &argv(&["id"]),
                SudoKind::Password,
                Duration::from_millis(1500)
            )
            .unwrap(),
            "exec sudo -S -p '' -k -- timeout -k 2 3 id"
        );
        assert_eq!(remote_timeout_secs(Duration::ZERO), 2);
    }

    #[test]
    fn remote_command_rejects_bad_argv() {
        let t = Duration::from_secs(1);
        for bad in [argv(&[]), argv(&[""]), argv(&["echo", "a\0b"])] {
            assert!(matches!(
                remote_command(&bad, SudoKind::None, t),
                Err(SshError::InvalidRequest(_))
            ));
        }
    }
}
