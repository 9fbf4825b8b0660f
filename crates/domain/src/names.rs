//! The names of the unit enums (kinds, statuses, scopes, policies), written once per enum:
//! the same table gives `as_str` (what is stored and sent), `ALL`, and, where the enum's
//! name for messages is given, `FromStr`, which refuses an unknown name by quoting it.

/// `names!(Type, "what it is" { Variant => "name", ... })`; without `"what it is"` for an
/// enum that parses its names another way.
macro_rules! names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The name stored in the database and used on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }
    };
    ($ty:ident, $what:literal { $($variant:ident => $name:literal),+ $(,)? }) => {
        names!($ty { $($variant => $name),+ });

        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    other => Err(format!(concat!("unknown ", $what, " {:?}"), other)),
                }
            }
        }
    };
}
