//! Fields past a table's last column are ignored, as Hive's text SerDes ignore them: a table
//! may declare the first few columns of a wide file, a common way to catalog CSV exports.
//! arrow-csv refuses a line with more fields than its schema, so the bytes from the field
//! delimiter that ends the last column up to the line's end are cut from the stream before
//! arrow-csv sees it. Chunks in which nothing is cut pass through without a copy.

use bytes::Bytes;

/// Where in a field the cutter is, following csv-core's reading (which arrow-csv uses): a
/// quote opens a quoted field only at the field's start; inside one, the escape character
/// takes the next byte as data and a doubled quote is a quote; a quote followed by anything
/// else closes it. Outside quotes `\n` and `\r` end a line and the escape is plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: doubled, or the field's closing quote.
    QuoteInQuoted,
    /// The escape character inside a quoted field.
    EscapeInQuoted,
    /// The escape character outside quotes, in a table that never quotes.
    EscapeUnquoted,
}

/// Cuts surplus fields from a stream of text chunks; the state carries across chunks.
#[derive(Debug)]
pub(crate) struct FieldCutter {
    columns: usize,
    delimiter: u8,
    /// The byte csv-core opens quotes with; arrow-csv is given 0 for a table that never
    /// quotes, and a NUL at a field's start then opens a quote there too.
    quote: u8,
    escape: Option<u8>,
    /// The escape also works outside quotes (a table that never quotes).
    escape_outside: bool,
    /// Bytes that can change the state: delimiter, line ends, quote, escape.
    special: [bool; 256],
    /// Field delimiters seen so far on the current line (outside quotes).
    delimiters: usize,
    state: State,
}

impl FieldCutter {
    /// A cutter keeping `columns` fields of each line (`columns` > 0); `quote` is `None`
    /// for a table that never quotes. Inside quotes the escape works as in csv-core. In a
    /// table that never quotes it also escapes a delimiter outside them, which csv-core
    /// does not do: Hive's `a\,b` then makes arrow-csv see one field too many and fail
    /// loudly, instead of the cutter dropping the line's real last field. A line end is
    /// never escaped (Hive and csv-core both end the line there).
    pub(crate) fn new(
        columns: usize,
        delimiter: u8,
        quote: Option<u8>,
        escape: Option<u8>,
    ) -> Self {
        let escape_outside = quote.is_none();
        let quote = quote.unwrap_or(0);
        let mut special = [false; 256];
        for b in [
            Some(delimiter),
            Some(b'\n'),
            Some(b'\r'),
            Some(quote),
            escape,
        ]
        .into_iter()
        .flatten()
        {
            special[usize::from(b)] = true;
        }
        FieldCutter {
            columns,
            delimiter,
            quote,
            escape,
            escape_outside,
            special,
            delimiters: 0,
            state: State::FieldStart,
        }
    }

    fn keeping(&self) -> bool {
        self.delimiters < self.columns
    }

    /// Moves past a run of bytes that are not special.
    fn ordinary(&mut self) {
        self.state = match self.state {
            State::FieldStart | State::QuoteInQuoted | State::EscapeUnquoted => State::Unquoted,
            State::EscapeInQuoted => State::Quoted,
            other => other,
        };
    }

    /// Moves past one special byte; whether that byte is kept.
    fn step(&mut self, b: u8) -> bool {
        match self.state {
            State::Quoted => {
                if b == self.quote {
                    self.state = State::QuoteInQuoted;
                } else if Some(b) == self.escape {
                    self.state = State::EscapeInQuoted;
                }
                return self.keeping();
            }
            State::EscapeInQuoted => {
                self.state = State::Quoted;
                return self.keeping();
            }
            State::EscapeUnquoted if b != b'\n' && b != b'\r' => {
                self.state = State::Unquoted;
                return self.keeping();
            }
            State::QuoteInQuoted if b == self.quote => {
                self.state = State::Quoted;
                return self.keeping();
            }
            State::FieldStart if b == self.quote => {
                self.state = State::Quoted;
                return self.keeping();
            }
            _ => {}
        }
        // Outside quotes.
        if b == b'\n' || b == b'\r' {
            self.delimiters = 0;
            self.state = State::FieldStart;
            return true;
        }
        if self.escape_outside && Some(b) == self.escape && self.state != State::EscapeUnquoted {
            self.state = State::EscapeUnquoted;
            return self.keeping();
        }
        if b == self.delimiter {
            self.delimiters += 1;
            self.state = State::FieldStart;
        } else {
            self.state = State::Unquoted;
        }
        self.keeping()
    }

    /// The chunk without the surplus fields of its lines.
    pub(crate) fn cut(&mut self, chunk: Bytes) -> Bytes {
        let mut out = Kept::new(&chunk, self.keeping());
        let mut i = 0;
        while i < chunk.len() {
            let next = chunk[i..]
                .iter()
                .position(|b| self.special[usize::from(*b)])
                .map_or(chunk.len(), |k| i + k);
            if next > i {
                out.mark(i, next, self.keeping());
                self.ordinary();
            }
            if next == chunk.len() {
                break;
            }
            let keep = self.step(chunk[next]);
            out.mark(next, next + 1, keep);
            i = next + 1;
        }
        out.finish()
    }
}

/// The kept bytes of one chunk: ranges are marked in order, and a copy is made only once a
/// byte is dropped.
struct Kept<'a> {
    chunk: &'a Bytes,
    copy: Option<Vec<u8>>,
    /// Start of the kept run the current position is in.
    run: Option<usize>,
}

impl<'a> Kept<'a> {
    fn new(chunk: &'a Bytes, keeping: bool) -> Self {
        Kept {
            chunk,
            copy: None,
            run: keeping.then_some(0),
        }
    }

    fn mark(&mut self, from: usize, to: usize, keep: bool) {
        if from == to {
            return;
        }
        match (keep, self.run) {
            (true, None) => self.run = Some(from),
            (false, run) => {
                let copy = self
                    .copy
                    .get_or_insert_with(|| Vec::with_capacity(self.chunk.len()));
                if let Some(start) = run {
                    copy.extend_from_slice(&self.chunk[start..from]);
                }
                self.run = None;
            }
            (true, Some(_)) => {}
        }
    }

    fn finish(self) -> Bytes {
        match self.copy {
            None => self.chunk.clone(),
            Some(mut copy) => {
                if let Some(start) = self.run {
                    copy.extend_from_slice(&self.chunk[start..]);
                }
                Bytes::from(copy)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text after cutting, fed in chunks of every size from 1 to the whole text.
    fn cut_all_ways(text: &str, columns: usize, quote: Option<u8>, escape: Option<u8>) -> String {
        let mut results = Vec::new();
        for size in 1..=text.len().max(1) {
            let mut cutter = FieldCutter::new(columns, b',', quote, escape);
            let mut out = Vec::new();
            for piece in text.as_bytes().chunks(size) {
                out.extend_from_slice(&cutter.cut(Bytes::copy_from_slice(piece)));
            }
            results.push(String::from_utf8(out).unwrap());
        }
        assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
        results.remove(0)
    }

    #[test]
    fn keeps_the_declared_fields_of_each_line() {
        let text = "1,a,x,y\n2,b\n3\n\n4,c,z\r\n";
        assert_eq!(cut_all_ways(text, 2, None, None), "1,a\n2,b\n3\n\n4,c\r\n");
        assert_eq!(cut_all_ways(text, 1, None, None), "1\n2\n3\n\n4\r\n");
        assert_eq!(cut_all_ways(text, 4, None, None), text);
    }

    #[test]
    fn quoted_and_escaped_delimiters_are_data() {
        let quoted = "1,\"a,b\",\"c\nd\",e\n2,\"x\"\n";
        assert_eq!(
            cut_all_ways(quoted, 2, Some(b'"'), None),
            "1,\"a,b\"\n2,\"x\"\n"
        );
        // inside quotes: an escaped quote and a doubled one stay in the field
        let escaped = "1,\"a\\\",b\",c\n2,\"d\"\",e\",f\n";
        assert_eq!(
            cut_all_ways(escaped, 2, Some(b'"'), Some(b'\\')),
            "1,\"a\\\",b\"\n2,\"d\"\",e\"\n"
        );
    }

    #[test]
    fn reads_lines_as_csv_core_does() {
        // unquoted, the escape is data and a line end still ends the line
        let text = "x,C:\\temp\\\ny,b,c\n";
        assert_eq!(
            cut_all_ways(text, 2, Some(b'"'), Some(b'\\')),
            "x,C:\\temp\\\ny,b\n"
        );
        assert_eq!(
            cut_all_ways(text, 2, None, Some(b'\\')),
            "x,C:\\temp\\\ny,b\n"
        );
        // never quoted (LazySimpleSerDe): an escaped delimiter is data, so nothing is cut
        // from `1,a\,b,c` with 3 columns and arrow-csv refuses its 4 fields, as before
        let lazy = "1,a\\,b,c\n2,d,e,f\n";
        assert_eq!(
            cut_all_ways(lazy, 3, None, Some(b'\\')),
            "1,a\\,b,c\n2,d,e\n"
        );
        // a NUL at a field's start opens a quote, as it does for arrow-csv given quote 0
        let nul = "1,\u{0}a,b\u{0},c\n2,x,y\n";
        assert_eq!(cut_all_ways(nul, 2, None, None), "1,\u{0}a,b\u{0}\n2,x\n");
        // a quote in the middle of a field does not open quotes
        let stray = "1,27\" tv,z\nx\"y,z,w\n";
        assert_eq!(
            cut_all_ways(stray, 2, Some(b'"'), None),
            "1,27\" tv\nx\"y,z\n"
        );
        // a closing quote followed by data, then a delimiter
        let closed = "\"a\"b,c,d\n";
        assert_eq!(cut_all_ways(closed, 2, Some(b'"'), None), "\"a\"b,c\n");
        // a bare carriage return ends a line
        assert_eq!(cut_all_ways("1,a,x\r2,b,y\r", 2, None, None), "1,a\r2,b\r");
    }

    #[test]
    fn chunks_with_nothing_to_cut_are_not_copied() {
        let mut cutter = FieldCutter::new(3, b',', None, None);
        let chunk = Bytes::from_static(b"1,2,3\n4,5\n");
        let out = cutter.cut(chunk.clone());
        assert_eq!(out.as_ptr(), chunk.as_ptr());
    }
}
