//! A strict JSON reader (RFC 8259) for the vendor catalog: the catalog's exact bytes are
//! what its signature covers, so the same reader runs natively and in the wasm, and keeps
//! serde_json out of the page. Limits: [`MAX_DEPTH`] nesting; duplicate object keys are an
//! error (two readers could otherwise take different values from one catalog).

/// Deeper nesting than any catalog needs; stops hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

/// A JSON value. Objects keep their members in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number as written (validated against the JSON grammar).
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A non-negative integer that fits in a u64, written without fraction or exponent.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) if n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok(),
            _ => None,
        }
    }

    /// The kind of value, as the catalog's error messages name it.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Null => ValueKind::Null,
            Value::Bool(_) => ValueKind::Bool,
            Value::Number(_) => ValueKind::Number,
            Value::String(_) => ValueKind::String,
            Value::Array(_) => ValueKind::Array,
            Value::Object(_) => ValueKind::Object,
        }
    }
}

/// The kinds of JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// Why text is not JSON, and where (a byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub kind: JsonErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// Nothing but whitespace.
    Empty,
    /// Something other than what the grammar allows here.
    Unexpected,
    /// The text ends inside a value.
    UnexpectedEnd,
    /// More text after the value.
    TrailingText,
    /// A control character inside a string, or a bad escape.
    BadString,
    /// A number the grammar does not allow (leading zeros, a lone minus, …).
    BadNumber,
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An object names this key twice.
    DuplicateKey(String),
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A technical line for logs; the sentences are in `ui::words`.
        write!(f, "{self:?}")
    }
}

impl std::error::Error for JsonError {}

/// Read one JSON value from `bytes` (a leading UTF-8 byte-order mark is skipped).
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JsonError {
        offset: e.valid_up_to(),
        kind: JsonErrorKind::NotUtf8,
    })?;
    let skip = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut r = Reader {
        s: text.as_bytes(),
        pos: skip,
    };
    r.ws();
    if r.pos == r.s.len() {
        return Err(r.err(JsonErrorKind::Empty));
    }
    let v = r.value(0)?;
    r.ws();
    if r.pos != r.s.len() {
        return Err(r.err(JsonErrorKind::TrailingText));
    }
    Ok(v)
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn err(&self, kind: JsonErrorKind) -> JsonError {
        JsonError {
            offset: self.pos,
            kind,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn next_or_end(&mut self) -> Result<u8, JsonError> {
        let b = self
            .peek()
            .ok_or_else(|| self.err(JsonErrorKind::UnexpectedEnd))?;
        self.pos += 1;
        Ok(b)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        match self.peek() {
            None => Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(c) if c == b => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.err(JsonErrorKind::Unexpected)),
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value, JsonError> {
        for &b in word {
            self.expect(b)?;
        }
        Ok(v)
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.err(JsonErrorKind::TooDeep));
        }
        match self.peek() {
            None => Err(self.err(JsonErrorKind::UnexpectedEnd)),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err(JsonErrorKind::Unexpected)),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut members: Vec<(String, Value)> = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            let at = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.err(if self.peek().is_none() {
                    JsonErrorKind::UnexpectedEnd
                } else {
                    JsonErrorKind::Unexpected
                }));
            }
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                return Err(JsonError {
                    offset: at,
                    kind: JsonErrorKind::DuplicateKey(key),
                });
            }
            self.ws();
            self.expect(b':')?;
            self.ws();
            let v = self.value(depth + 1)?;
            members.push((key, v));
            self.ws();
            match self.next_or_end()? {
                b',' => continue,
                b'}' => return Ok(Value::Object(members)),
                _ => {
                    self.pos -= 1;
                    return Err(self.err(JsonErrorKind::Unexpected));
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.next_or_end()? {
                b',' => continue,
                b']' => return Ok(Value::Array(items)),
                _ => {
                    self.pos -= 1;
                    return Err(self.err(JsonErrorKind::Unexpected));
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0;
        for _ in 0..4 {
            let b = self.next_or_end()?;
            let d = (b as char).to_digit(16).ok_or_else(|| JsonError {
                offset: self.pos - 1,
                kind: JsonErrorKind::BadString,
            })?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            // Copy a run of plain characters at once (the input is valid UTF-8, and the
            // run stops only at ASCII bytes, so it is too).
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.push_str(&String::from_utf8_lossy(&self.s[start..self.pos]));
            match self.next_or_end()? {
                b'"' => return Ok(out),
                b'\\' => {
                    let c = match self.next_or_end()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.err(JsonErrorKind::BadString));
                        }
                    };
                    out.push(c);
                }
                _ => {
                    // A control character: JSON requires it escaped.
                    self.pos -= 1;
                    return Err(self.err(JsonErrorKind::BadString));
                }
            }
        }
    }

    /// After `\u`: one escaped character, a surrogate pair taken together.
    fn escaped_char(&mut self) -> Result<char, JsonError> {
        let at = self.pos;
        let bad = JsonError {
            offset: at,
            kind: JsonErrorKind::BadString,
        };
        let hi = self.hex4()?;
        let code = match hi {
            0xD800..=0xDBFF => {
                if self.peek() != Some(b'\\') || self.s.get(self.pos + 1) != Some(&b'u') {
                    return Err(bad);
                }
                self.pos += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err(bad);
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(bad),
            c => c,
        };
        char::from_u32(code).ok_or(bad)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        let bad = |r: &Self| r.err(JsonErrorKind::BadNumber);
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(bad(self));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(bad(self)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(bad(self));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(bad(self));
            }
        }
        Ok(Value::Number(
            String::from_utf8_lossy(&self.s[start..self.pos]).into_owned(),
        ))
    }
}
