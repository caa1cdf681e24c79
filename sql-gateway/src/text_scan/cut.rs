//! Fields past a table's last column are ignored, as Hive's text SerDes ignore them: a table
//! may declare the first few columns of a wide file, a common way to catalog CSV exports.
//! arrow-csv refuses a line with more fields than its schema, so the bytes from the field
//! delimiter that ends the last column up to the line's end are cut from the stream before
//! arrow-csv sees it. Chunks in which nothing is cut pass through without a copy.

use bytes::Bytes;

/// Cuts surplus fields from a stream of text chunks; the state carries across chunks.
#[derive(Debug)]
pub(crate) struct FieldCutter {
    columns: usize,
    delimiter: u8,
    quote: Option<u8>,
    escape: Option<u8>,
    /// Bytes that can change the state: delimiter, newline, quote, escape.
    special: [bool; 256],
    /// Field delimiters seen so far on the current line (outside quotes).
    delimiters: usize,
    in_quotes: bool,
    /// The previous byte was the escape character.
    escaped: bool,
}

impl FieldCutter {
    /// A cutter keeping `columns` fields of each line (`columns` > 0).
    pub(crate) fn new(
        columns: usize,
        delimiter: u8,
        quote: Option<u8>,
        escape: Option<u8>,
    ) -> Self {
        let mut special = [false; 256];
        for b in [Some(delimiter), Some(b'\n'), quote, escape]
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
            special,
            delimiters: 0,
            in_quotes: false,
            escaped: false,
        }
    }

    fn keeping(&self) -> bool {
        self.delimiters < self.columns
    }

    /// Moves past one special byte; whether that byte is kept.
    fn step(&mut self, b: u8) -> bool {
        // A quote that is also the escape (`""`) toggles twice, which keeps the parity right.
        if Some(b) == self.quote {
            self.in_quotes = !self.in_quotes;
        } else if Some(b) == self.escape {
            self.escaped = true;
        } else if !self.in_quotes {
            if b == b'\n' {
                self.delimiters = 0;
            } else if b == self.delimiter {
                self.delimiters += 1;
            }
        }
        self.keeping()
    }

    /// The chunk without the surplus fields of its lines.
    pub(crate) fn cut(&mut self, chunk: Bytes) -> Bytes {
        let mut out = Kept::new(&chunk, self.keeping());
        let mut i = 0;
        while i < chunk.len() {
            if self.escaped {
                // The escaped byte is data, whatever it is.
                self.escaped = false;
                out.mark(i, i + 1, self.keeping());
                i += 1;
                continue;
            }
            let next = chunk[i..]
                .iter()
                .position(|b| self.special[usize::from(*b)])
                .map_or(chunk.len(), |k| i + k);
            out.mark(i, next, self.keeping());
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
        assert_eq!(cut_all_ways(text, 2, None, None), "1,a\n2,b\n3\n\n4,c\n");
        assert_eq!(cut_all_ways(text, 1, None, None), "1\n2\n3\n\n4\n");
        assert_eq!(cut_all_ways(text, 4, None, None), text);
    }

    #[test]
    fn quoted_and_escaped_delimiters_are_data() {
        let quoted = "1,\"a,b\",\"c\nd\",e\n2,\"x\"\n";
        assert_eq!(
            cut_all_ways(quoted, 2, Some(b'"'), None),
            "1,\"a,b\"\n2,\"x\"\n"
        );
        let escaped = "1,a\\,b,c\n2,d\\\\,e\n";
        assert_eq!(
            cut_all_ways(escaped, 2, None, Some(b'\\')),
            "1,a\\,b\n2,d\\\\\n"
        );
    }

    #[test]
    fn chunks_with_nothing_to_cut_are_not_copied() {
        let mut cutter = FieldCutter::new(3, b',', None, None);
        let chunk = Bytes::from_static(b"1,2,3\n4,5\n");
        let out = cutter.cut(chunk.clone());
        assert_eq!(out.as_ptr(), chunk.as_ptr());
    }
}
