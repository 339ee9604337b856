//! File templates: plain text with `{{ hostname }}`, `{{ user }}` and
//! `{{ home }}`, filled from facts the check script reports about the host.
//! No logic, no escaping: anything else between `{{` and `}}` is an error
//! when the pack loads, so a typo never reaches a host.

/// The variables a template may use.
pub const VARIABLES: &[&str] = &["hostname", "user", "home"];

/// What is known about the host a template is rendered for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub hostname: String,
    pub user: String,
    pub home: String,
}

impl Facts {
    fn get(&self, var: &str) -> Option<&str> {
        match var {
            "hostname" => Some(&self.hostname),
            "user" => Some(&self.user),
            "home" => Some(&self.home),
            _ => None,
        }
    }
}

/// Check a template: every `{{ ... }}` names a known variable and is closed.
/// The error is (line, column, message), 1-based.
pub fn check(text: &str) -> Result<(), (usize, usize, String)> {
    walk(text, |_| Some(String::new())).map(|_| ())
}

/// Fill a checked template. Unknown variables (impossible after
/// [`check`]) are left as written.
pub fn render(text: &str, facts: &Facts) -> String {
    walk(text, |v| facts.get(v).map(str::to_string)).unwrap_or_else(|_| text.to_string())
}

fn walk(
    text: &str,
    value: impl Fn(&str) -> Option<String>,
) -> Result<String, (usize, usize, String)> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let at = position(text, offset + start);
        let Some(end) = after.find("}}") else {
            return Err((at.0, at.1, "`{{` without a closing `}}`".into()));
        };
        let var = after[..end].trim();
        if !VARIABLES.contains(&var) {
            return Err((
                at.0,
                at.1,
                format!(
                    "unknown template variable `{var}` (known: {})",
                    VARIABLES.join(", ")
                ),
            ));
        }
        match value(var) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        let consumed = start + 2 + end + 2;
        rest = &rest[consumed..];
        offset += consumed;
    }
    out.push_str(rest);
    Ok(out)
}

fn position(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            hostname: "nas".into(),
            user: "alice".into(),
            home: "/home/alice".into(),
        }
    }

    #[test]
    fn renders_known_variables() {
        assert_eq!(
            render(
                "[user]\n  name = {{user}}@{{ hostname }}\n  dir={{home}}/x\n",
                &facts()
            ),
            "[user]\n  name = alice@nas\n  dir=/home/alice/x\n"
        );
        assert_eq!(render("no vars $HOME }}", &facts()), "no vars $HOME }}");
    }

    #[test]
    fn unknown_or_unclosed_variables_name_the_position() {
        let (l, c, m) = check("a\nb {{ usr }}\n").unwrap_err();
        assert_eq!((l, c), (2, 3));
        assert!(m.contains("unknown template variable `usr`"), "{m}");
        let (l, c, m) = check("x\n\n  {{user\n").unwrap_err();
        assert_eq!((l, c), (3, 3));
        assert!(m.contains("closing"), "{m}");
        assert!(check("{{user}} {{home}} {{hostname}}").is_ok());
    }
}
