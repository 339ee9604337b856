//! Strict tokeniser for command strings: no shell, no quoting, no escapes.
//! Anything a shell would treat specially is refused outright rather than
//! interpreted, so a string either splits into plain words or is rejected
//! with the offending character named.

use super::Rejection;

/// Longest command string accepted.
pub const MAX_COMMAND_LEN: usize = 256;
/// Most words accepted.
pub const MAX_TOKENS: usize = 16;

/// Characters refused anywhere, with why (shell meaning).
const FORBIDDEN: &[(char, &str)] = &[
    (';', "command separator"),
    ('&', "background/and operator"),
    ('|', "pipe"),
    ('$', "variable or command substitution"),
    ('`', "command substitution"),
    ('(', "subshell"),
    (')', "subshell"),
    ('<', "redirection"),
    ('>', "redirection"),
    ('\'', "quote"),
    ('"', "quote"),
    ('\\', "escape"),
    ('*', "glob"),
    ('?', "glob"),
    ('[', "glob"),
    (']', "glob"),
    ('{', "brace expansion"),
    ('}', "brace expansion"),
    ('~', "home expansion"),
    ('!', "history expansion"),
    ('#', "comment"),
];

/// Split `input` on spaces into plain words.
pub fn tokenize(input: &str) -> Result<Vec<&str>, Rejection> {
    if input.len() > MAX_COMMAND_LEN {
        return Err(Rejection::new(format!(
            "command is too long ({} bytes, at most {MAX_COMMAND_LEN})",
            input.len()
        )));
    }
    for (i, c) in input.char_indices() {
        if let Some((_, why)) = FORBIDDEN.iter().find(|(f, _)| *f == c) {
            return Err(Rejection::new(format!(
                "character '{c}' at position {i} is not allowed ({why}); commands run without a shell"
            )));
        }
        if c == '\n' || c == '\r' {
            return Err(Rejection::new(format!(
                "line break at position {i} is not allowed"
            )));
        }
        if !c.is_ascii() {
            return Err(Rejection::new(format!(
                "non-ASCII character at position {i} is not allowed"
            )));
        }
        if c.is_ascii_control() {
            return Err(Rejection::new(format!(
                "control character 0x{:02x} at position {i} is not allowed",
                c as u32
            )));
        }
    }
    let tokens: Vec<&str> = input.split(' ').filter(|t| !t.is_empty()).collect();
    if tokens.is_empty() {
        return Err(Rejection::new("command is empty"));
    }
    if tokens.len() > MAX_TOKENS {
        return Err(Rejection::new(format!(
            "command has {} words (at most {MAX_TOKENS})",
            tokens.len()
        )));
    }
    Ok(tokens)
}

/// Render argv as one string for an SSH `exec` request: words made only of
/// safe characters stay as they are, anything else is single-quoted.
pub fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_split_on_spaces() {
        assert_eq!(
            tokenize("  systemctl   restart nginx ").unwrap(),
            ["systemctl", "restart", "nginx"]
        );
    }

    #[test]
    fn shell_syntax_is_refused_and_named() {
        for (input, needle) in [
            ("systemctl restart nginx; rm -rf /", "';'"),
            ("systemctl restart nginx && reboot", "'&'"),
            ("systemctl restart $(id)", "'$'"),
            ("systemctl restart `id`", "'`'"),
            ("systemctl restart nginx | tee", "'|'"),
            ("systemctl restart nginx > /etc/passwd", "'>'"),
            ("systemctl restart 'nginx'", "quote"),
            ("systemctl restart \"nginx\"", "quote"),
            ("systemctl restart ngin*", "glob"),
            ("systemctl restart ngin?", "glob"),
            ("systemctl restart [n]ginx", "glob"),
            ("systemctl restart ~root", "home"),
            ("systemctl restart nginx\nreboot", "line break"),
            ("systemctl restart nginx\rreboot", "line break"),
            ("systemctl restart ngïnx", "non-ASCII"),
            ("systemctl restart nginx\treboot", "control"),
            ("systemctl restart nginx\\", "escape"),
        ] {
            let e = tokenize(input).unwrap_err();
            assert!(e.reason.contains(needle), "{input:?}: {e}");
        }
        let long = format!("systemctl restart {}", "a".repeat(300));
        assert!(tokenize(&long).unwrap_err().reason.contains("too long"));
        assert!(tokenize("   ").unwrap_err().reason.contains("empty"));
        assert!(
            tokenize(&"a ".repeat(20))
                .unwrap_err()
                .reason
                .contains("words")
        );
    }

    #[test]
    fn quoting_for_exec() {
        let argv: Vec<String> = ["env", "A=b", "it's", "", "a b"].map(String::from).into();
        assert_eq!(shell_quote(&argv), r#"env A=b 'it'\''s' '' 'a b'"#);
    }
}
