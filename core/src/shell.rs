//! Quoting for POSIX shells: the one way pack scripts and SSH exec requests
//! turn words into shell text.
//!
//! SSH has no argv: the server hands a single string to the user's login
//! shell (`$SHELL -c '<string>'`). Every argument is therefore quoted with
//! strict POSIX single quotes, so the remote shell sees exactly our argv and
//! never expands `;`, `&&`, `$( )`, backticks, globs or newlines.

/// Quote one word for a POSIX shell. Words made only of characters no shell
/// treats specially stay bare (readable logs); everything else is wrapped in
/// single quotes, inside which nothing is special except `'` itself, written
/// as `'\''` (close, escaped quote, reopen).
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:@,+%".contains(&b));
    if safe {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Join `argv` into one shell command line, each word quoted.
pub fn join_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_words_stay_bare() {
        assert_eq!(shell_quote("ls"), "ls");
        assert_eq!(shell_quote("/usr/bin/apt-get"), "/usr/bin/apt-get");
        assert_eq!(shell_quote("--name=x"), "'--name=x'");
        assert_eq!(shell_quote("user@host:1,2+3%"), "user@host:1,2+3%");
    }

    #[test]
    fn special_characters_are_single_quoted() {
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("a;rm -rf /"), "'a;rm -rf /'");
        assert_eq!(shell_quote("x && y"), "'x && y'");
        assert_eq!(shell_quote("$(id)"), "'$(id)'");
        assert_eq!(shell_quote("`id`"), "'`id`'");
        assert_eq!(shell_quote("*.log"), "'*.log'");
        assert_eq!(shell_quote("~root"), "'~root'");
        assert_eq!(shell_quote("a\nb"), "'a\nb'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("\"dq\""), "'\"dq\"'");
        assert_eq!(shell_quote("héllo wörld ✓"), "'héllo wörld ✓'");
        assert_eq!(shell_quote("FOO=bar"), "'FOO=bar'");
    }

    /// The real proof: a POSIX shell (`sh -c`, as sshd's login shell does)
    /// given our joined string runs `printf '%s\0'` with exactly our words.
    #[test]
    fn a_real_shell_sees_exactly_our_argv() {
        let nasty = argv(&[
            "a;b",
            "x && y || z",
            "$(touch /tmp/hlc-pwned)",
            "`touch /tmp/hlc-pwned`",
            "$HOME",
            "line1\nline2",
            "it's \"quoted\"",
            "'",
            "''",
            "\\",
            "*",
            "?[a-z]",
            "~",
            "",
            " leading and trailing ",
            "tab\there",
            "ünïcødé ✓ 日本",
            "-n",
            "FOO=bar",
            "#comment",
            "a|b>c<d&e",
            "{a,b}",
            "!event",
        ]);
        let mut words = argv(&["printf", "%s\\0"]);
        words.extend(nasty.iter().cloned());
        for shell in ["sh", "bash"] {
            let out = Command::new(shell)
                .args(["-c", &join_argv(&words)])
                .output()
                .expect("run shell");
            assert!(out.status.success(), "{shell}: {out:?}");
            let got: Vec<String> = out
                .stdout
                .split(|b| *b == 0)
                .map(|s| String::from_utf8(s.to_vec()).unwrap())
                .collect();
            // printf output ends with \0, so the split leaves a trailing "".
            assert_eq!(&got[..got.len() - 1], &nasty[..], "{shell}");
        }
        assert!(!std::path::Path::new("/tmp/hlc-pwned").exists());
    }
}
