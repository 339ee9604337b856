//! Closed sets of names (statuses, kinds, modes) and the two ways they are
//! read: strictly ([`WireName::parse_name`], `FromStr`, `TryFrom`), for
//! anything the hub itself wrote, and leniently ([`Requested`]), for request
//! fields whose bad values the hub reports in its own 422 or 400 body.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An enum whose values travel as fixed snake_case names.
pub trait WireName: Copy + Eq + 'static {
    /// Every value, in the order error messages list them.
    const ALL: &'static [Self];
    /// The type's name, for error messages.
    const TYPE: &'static str;

    /// The name on the wire.
    fn as_str(self) -> &'static str;

    /// The value called `s`, or an error naming `s` and what would do.
    fn parse_name(s: &str) -> Result<Self, UnknownName> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownName {
                type_name: Self::TYPE,
                value: s.to_owned(),
                expected: Self::ALL.iter().map(|v| v.as_str()).collect(),
            })
    }
}

/// A name that is none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// The enum, e.g. `MachineType`.
    pub type_name: &'static str,
    /// The name that was given.
    pub value: String,
    /// The names that would have done.
    pub expected: Vec<&'static str>,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a {} (expected one of: {})",
            self.value.escape_default(),
            self.type_name,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Define wire enums: each variant names its wire string once, and the
/// enum gets serde (explicit renames, so the wire is the string given),
/// the OpenAPI / TypeScript derives, `as_str`, `ALL`, `FromStr`,
/// `TryFrom<&str>`, `TryFrom<String>` and `Display`.
macro_rules! wire_enum {
    ($(
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in the order error messages list them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The name on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }
        }

        impl $crate::names::WireName for $name {
            const ALL: &'static [Self] = Self::ALL;
            const TYPE: &'static str = stringify!($name);
            fn as_str(self) -> &'static str {
                Self::as_str(self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::names::UnknownName;
            fn from_str(s: &str) -> Result<Self, $crate::names::UnknownName> {
                <Self as $crate::names::WireName>::parse_name(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::names::UnknownName;
            fn try_from(s: &str) -> Result<Self, $crate::names::UnknownName> {
                s.parse()
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::names::UnknownName;
            fn try_from(s: String) -> Result<Self, $crate::names::UnknownName> {
                s.parse()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
pub(crate) use wire_enum;

/// A request field naming one of `T`'s values, kept as sent.
///
/// Parsing a request never fails on an unknown name: the hub validates it
/// with the body's other fields and reports every bad one in one 422 (or
/// answers the contract's own error, e.g. `INVALID_CREDENTIAL_TYPE`), as it
/// did when these fields were plain strings. On the wire it is the name
/// itself; the OpenAPI and TypeScript schemas show `T`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Requested<T> {
    /// One of `T`'s names.
    Known(T),
    /// Any other string, as sent.
    Unknown(String),
}

impl<T: WireName> Requested<T> {
    /// The value, when the name was one of `T`'s.
    pub fn known(&self) -> Option<T> {
        match self {
            Self::Known(v) => Some(*v),
            Self::Unknown(_) => None,
        }
    }

    /// The name as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Known(v) => v.as_str(),
            Self::Unknown(s) => s,
        }
    }

    /// The value, or an error naming what was sent.
    pub fn parsed(&self) -> Result<T, UnknownName> {
        match self {
            Self::Known(v) => Ok(*v),
            Self::Unknown(s) => T::parse_name(s),
        }
    }
}

impl<T: WireName> From<T> for Requested<T> {
    fn from(v: T) -> Self {
        Self::Known(v)
    }
}

impl<T: WireName> From<&str> for Requested<T> {
    fn from(s: &str) -> Self {
        T::parse_name(s).map_or_else(|_| Self::Unknown(s.to_owned()), Self::Known)
    }
}

impl<T: WireName> fmt::Display for Requested<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<T: WireName> Serialize for Requested<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, T: WireName> Deserialize<'de> for Requested<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than `String::deserialize` so a non-string gives
        // serde's usual "invalid type: ..., expected a string".
        struct V<T>(PhantomData<T>);
        impl<T: WireName> Visitor<'_> for V<T> {
            type Value = Requested<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Requested::from(s))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

// Not with `ts`: the test enum would be exported with the real ones.
#[cfg(all(test, not(feature = "ts")))]
mod tests {
    use super::*;

    wire_enum! {
        /// A test enum.
        pub enum Colour {
            /// Red.
            Red = "red",
            /// Light blue.
            LightBlue = "light_blue",
        }
    }

    #[test]
    fn names_round_trip_through_serde_and_str() {
        for c in Colour::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), *c);
            assert_eq!(c.as_str().parse::<Colour>().unwrap(), *c);
            assert_eq!(c.to_string(), c.as_str());
        }
    }

    #[test]
    fn an_unknown_name_is_an_error_naming_it() {
        let e = "green".parse::<Colour>().unwrap_err();
        assert_eq!(e.value, "green");
        assert_eq!(
            e.to_string(),
            "'green' is not a Colour (expected one of: red, light_blue)"
        );
        assert!(Colour::try_from(String::from("Red")).is_err());
    }

    #[test]
    fn requested_keeps_unknown_names_and_writes_them_back() {
        let r: Requested<Colour> = serde_json::from_str("\"light_blue\"").unwrap();
        assert_eq!(r, Requested::Known(Colour::LightBlue));
        let r: Requested<Colour> = serde_json::from_str("\"toaster\"").unwrap();
        assert_eq!(r, Requested::Unknown("toaster".into()));
        assert_eq!(r.known(), None);
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"toaster\"");
        assert!(r.parsed().is_err());
        let e = serde_json::from_str::<Requested<Colour>>("5").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid type: integer `5`, expected a string"),
            "{e}"
        );
    }
}
