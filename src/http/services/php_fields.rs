//! Form fields under PHP's naming rules, as `$_POST` holds them: `a[b][c]` nests, `a[]`
//! appends at the array's next free index. Names nested deeper than [`MAX_NESTING`] are
//! refused (PHP drops the variable); each append costs the same however long the list.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::http::limits::MAX_NESTING;

/// A field name nests deeper than [`MAX_NESTING`].
#[derive(Debug, PartialEq, Eq)]
pub struct TooDeep;

/// The fields gathered so far.
#[derive(Default)]
pub struct PhpFields(Array);

/// A PHP array: ordered keys and, like PHP's `nNextFreeElement`, the index `[]` takes next.
#[derive(Default)]
struct Array {
    entries: Vec<(String, Node)>,
    positions: HashMap<String, usize>,
    next_free: u64,
}

enum Node {
    Text(String),
    Array(Array),
}

impl PhpFields {
    /// Stores `value` under the PHP-style field `name`.
    pub fn insert(&mut self, name: &str, value: String) -> Result<(), TooDeep> {
        let keys = split_name(name)?;
        let (last, path) = keys.split_last().ok_or(TooDeep)?;
        let mut current = &mut self.0;
        for key in path {
            let slot = current.slot(key);
            if !matches!(slot, Node::Array(_)) {
                *slot = Node::Array(Array::default());
            }
            let Node::Array(next) = slot else {
                // Not reached: the slot was made an array just above.
                return Ok(());
            };
            current = next;
        }
        *current.slot(last) = Node::Text(value);
        Ok(())
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.0.into_map()
    }
}

impl Array {
    /// The entry under `key` (`""` is the next free index), made empty text if new.
    fn slot(&mut self, key: &str) -> &mut Node {
        let key = if key.is_empty() {
            self.next_free.to_string()
        } else {
            key.to_string()
        };
        if let Ok(index) = key.parse::<u64>() {
            self.next_free = self.next_free.max(index.saturating_add(1));
        }
        let position = match self.positions.get(&key) {
            Some(&position) => position,
            None => {
                self.positions.insert(key.clone(), self.entries.len());
                self.entries.push((key, Node::Text(String::new())));
                self.entries.len() - 1
            }
        };
        &mut self.entries[position].1
    }

    // Recursion is bounded: `split_name` lets no name nest deeper than MAX_NESTING.
    fn into_map(self) -> Map<String, Value> {
        self.entries
            .into_iter()
            .map(|(key, node)| {
                let value = match node {
                    Node::Text(text) => Value::String(text),
                    Node::Array(array) => Value::Object(array.into_map()),
                };
                (key, value)
            })
            .collect()
    }
}

/// `a[b][]` → `["a", "b", ""]`. A name without a well-formed `[…]` tail is one plain key;
/// text after the first malformed bracket is ignored, as PHP does.
fn split_name(name: &str) -> Result<Vec<&str>, TooDeep> {
    let (base, mut rest) = match name.find('[') {
        Some(i) if i > 0 && name.ends_with(']') => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut keys = vec![base];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else { break };
        if keys.len() > MAX_NESTING {
            return Err(TooDeep);
        }
        keys.push(&stripped[..end]);
        rest = &stripped[end + 1..];
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Value {
        let mut fields = PhpFields::default();
        for (name, value) in pairs {
            fields.insert(name, value.to_string()).unwrap();
        }
        Value::Object(fields.into_map())
    }

    #[test]
    fn php_field_names_nest() {
        assert_eq!(
            fields(&[
                ("account[name]", "bob"),
                ("account[pass][pass1]", "p"),
                ("roles[]", "editor"),
                ("roles[]", "admin"),
                ("plain", "x"),
                ("odd[", "y"),
            ]),
            json!({"account": {"name": "bob", "pass": {"pass1": "p"}},
                   "roles": {"0": "editor", "1": "admin"}, "plain": "x", "odd[": "y"})
        );
    }

    #[test]
    fn appending_continues_after_the_highest_numeric_key() {
        assert_eq!(
            fields(&[("a[5]", "x"), ("a[]", "y"), ("a[k]", "z"), ("a[]", "w")]),
            json!({"a": {"5": "x", "6": "y", "k": "z", "7": "w"}})
        );
        // A later plain value replaces the array, and a nested name the value.
        assert_eq!(
            fields(&[("a[]", "x"), ("a", "y"), ("b", "1"), ("b[c]", "2")]),
            json!({"a": "y", "b": {"c": "2"}})
        );
    }

    #[test]
    fn names_nested_up_to_the_limit_pass_and_deeper_are_refused() {
        let mut fields = PhpFields::default();
        let at_limit = format!("a{}", "[]".repeat(MAX_NESTING));
        assert_eq!(fields.insert(&at_limit, "v".into()), Ok(()));
        let over = format!("a{}", "[b]".repeat(MAX_NESTING + 1));
        assert_eq!(fields.insert(&over, "v".into()), Err(TooDeep));
        let attack = format!("a{}", "[]".repeat(32_000));
        assert_eq!(fields.insert(&attack, "v".into()), Err(TooDeep));
        let mut depth = 0;
        let mut value = &Value::Object(fields.into_map())["a"];
        while let Some(inner) = value.get("0") {
            (depth, value) = (depth + 1, inner);
        }
        assert_eq!(depth, MAX_NESTING);
    }

    /// Appending looked for the highest numeric key among all the array's keys, so a body of
    /// `a[]=` fields cost time quadratic in their number. 100,000 appends take milliseconds
    /// now and took minutes then; the bound is far above the one and far below the other.
    #[test]
    fn appending_to_a_long_list_takes_constant_time_per_field() {
        let started = Instant::now();
        let mut fields = PhpFields::default();
        for _ in 0..100_000 {
            fields.insert("a[]", "v".into()).unwrap();
        }
        let map = fields.into_map();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let list = map["a"].as_object().unwrap();
        assert_eq!(list.len(), 100_000);
        assert_eq!(list.keys().next_back().map(String::as_str), Some("99999"));
    }
}
