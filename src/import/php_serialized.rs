//! Reading PHP's `serialize()` text (WordPress keeps roles in it) as data only: null,
//! booleans, integers, floats, strings and arrays. Objects and references are refused, so
//! nothing in the text can name a class or reach code; nesting and sizes are bounded.

/// A PHP value; array keys (integers or strings) are kept as text, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<(String, Value)>),
}

const MAX_DEPTH: usize = 16;

/// Parses one serialized value that fills `text`; `None` when it is not well-formed or
/// holds anything other than plain data.
pub fn parse(text: &str) -> Option<Value> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = parser.value(0)?;
    (parser.at == parser.bytes.len()).then_some(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn value(&mut self, depth: usize) -> Option<Value> {
        let kind = *self.bytes.get(self.at)?;
        self.at += 1;
        if kind == b'N' {
            self.expect(b';')?;
            return Some(Value::Null);
        }
        self.expect(b':')?;
        match kind {
            b'b' => match self.until(b';')? {
                "0" => Some(Value::Bool(false)),
                "1" => Some(Value::Bool(true)),
                _ => None,
            },
            b'i' => self.until(b';')?.parse().ok().map(Value::Int),
            b'd' => self.until(b';')?.parse().ok().map(Value::Float),
            b's' => {
                let text = self.string()?;
                self.expect(b';')?;
                Some(Value::Str(text))
            }
            b'a' if depth < MAX_DEPTH => {
                let count: usize = self.until(b':')?.parse().ok()?;
                // Each entry takes at least four bytes (`i:0;N;` is six).
                if count > self.bytes.len() / 4 {
                    return None;
                }
                self.expect(b'{')?;
                let mut entries = Vec::with_capacity(count);
                for _ in 0..count {
                    let key = match self.value(MAX_DEPTH)? {
                        Value::Int(i) => i.to_string(),
                        Value::Str(s) => s,
                        _ => return None,
                    };
                    entries.push((key, self.value(depth + 1)?));
                }
                self.expect(b'}')?;
                Some(Value::Array(entries))
            }
            _ => None,
        }
    }

    /// `<length>:"<bytes>"`, the length counted in bytes.
    fn string(&mut self) -> Option<String> {
        let length: usize = self.until(b':')?.parse().ok()?;
        self.expect(b'"')?;
        let end = self.at.checked_add(length)?;
        let bytes = self.bytes.get(self.at..end)?;
        self.at = end;
        self.expect(b'"')?;
        String::from_utf8(bytes.to_vec()).ok()
    }

    /// The text up to `end`, which is consumed.
    fn until(&mut self, end: u8) -> Option<&str> {
        let length = self.bytes[self.at..].iter().position(|b| *b == end)?;
        let text = std::str::from_utf8(&self.bytes[self.at..self.at + length]).ok()?;
        self.at += length + 1;
        Some(text)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordpress_capabilities_parse() {
        let caps = parse(r#"a:2:{s:13:"administrator";b:1;s:10:"edit_posts";b:1;}"#);
        assert_eq!(
            caps,
            Some(Value::Array(vec![
                ("administrator".into(), Value::Bool(true)),
                ("edit_posts".into(), Value::Bool(true)),
            ]))
        );
        let nested = parse(r#"a:1:{s:6:"editor";a:2:{s:4:"name";s:6:"Editor";i:0;d:1.5;}}"#);
        assert!(matches!(nested, Some(Value::Array(ref e)) if e.len() == 1));
        // Lengths are in bytes: "é" is two.
        assert_eq!(parse(r#"s:2:"é";"#), Some(Value::Str("é".into())));
        assert_eq!(parse("N;"), Some(Value::Null));
        assert_eq!(parse("i:-3;"), Some(Value::Int(-3)));
    }

    #[test]
    fn objects_references_and_malformed_text_are_refused() {
        for text in [
            r#"O:8:"stdClass":0:{}"#,
            r#"a:1:{s:1:"a";O:8:"stdClass":0:{}}"#,
            r#"a:1:{s:1:"a";r:1;}"#,
            r#"C:3:"Foo":0:{}"#,
            r#"a:2:{s:1:"a";b:1;}"#,
            r#"a:1:{s:1:"a";b:1;}x"#,
            r#"s:10:"short";"#,
            r#"s:99999999999999999999:"x";"#,
            "a:999999999:{}",
            "b:2;",
            "",
            "a:1:{a:0:{}i:1;}",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
        let deep = "a:1:{i:0;".repeat(100) + "N;" + &"}".repeat(100);
        assert_eq!(parse(&deep), None);
    }
}
