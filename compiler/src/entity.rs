//! Entity references: `u32` indices into the arenas of a [`Graph`](crate::Graph).
//! Each `Display`s as its spelling in the text form: a value is `%3`, a
//! block `^1`, a constant `@w0` (the default name of constant 0). Nodes
//! have no text spelling; `Display` gives `node3` for diagnostics.

use std::fmt;

macro_rules! entity {
    ($(#[$doc:meta])* $name:ident, $fmt:literal) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The arena index.
            pub fn index(self) -> usize {
                self.0 as usize
            }
            /// The entity at arena index `i`. Arenas never exceed `u32::MAX` entries.
            pub fn new(i: usize) -> Self {
                $name(u32::try_from(i).expect("arena index fits in u32"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, $fmt, self.0)
            }
        }
    };
}

entity!(
    /// An SSA value: a node output or a block parameter.
    Value, "%{}"
);
entity!(
    /// A block: parameters, nodes in program order, results.
    Block, "^{}"
);
entity!(
    /// A node (an operation instance).
    Node, "node{}"
);
entity!(
    /// A named constant (a tensor blob or a scalar) in the graph's constant table.
    ConstId, "@w{}"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_text_spelling() {
        assert_eq!(Value(3).to_string(), "%3");
        assert_eq!(Block(1).to_string(), "^1");
        assert_eq!(ConstId(0).to_string(), "@w0");
    }
}
