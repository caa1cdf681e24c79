//! Wire-level pieces of the server: a binary input protocol that refuses oversized lengths
//! before allocating anything, the framed transport, and detection of the client's framing
//! from its first four bytes.

use std::io::{self, Read, Write};

use thrift::protocol::{
    TFieldIdentifier, TInputProtocol, TListIdentifier, TMapIdentifier, TMessageIdentifier,
    TMessageType, TSetIdentifier, TStructIdentifier, TType,
};
use thrift::{ProtocolError, ProtocolErrorKind, TransportError, TransportErrorKind};

/// What the first four bytes of a connection say it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Strict binary protocol, no frames (Hive, Spark, Trino, Python clients by default).
    Unframed,
    /// Binary protocol in frames of this many bytes.
    Framed(u32),
    /// Not something we serve, with a reason for the log.
    Refused(&'static str),
}

/// Classifies a connection by its first four bytes.
pub(crate) fn detect(first: [u8; 4], max_message: usize) -> Framing {
    match first {
        [0x80, 0x01, _, _] => Framing::Unframed,
        [0x82, ..] => Framing::Refused("compact protocol is not supported"),
        [1..=5, ..] => {
            Framing::Refused("SASL handshake: authentication is not enabled on this server")
        }
        [b'P', b'O', b'S', b'T'] | [b'G', b'E', b'T', b' '] => {
            Framing::Refused("Thrift over HTTP is not supported")
        }
        _ => {
            let len = u32::from_be_bytes(first);
            if len == 0 || len as usize > max_message || first[0] & 0x80 != 0 {
                Framing::Refused(
                    "not a Thrift binary message, or a frame larger than the maximum message size",
                )
            } else {
                Framing::Framed(len)
            }
        }
    }
}

/// The fewest bytes a value of this type takes in the binary protocol.
fn min_wire_size(ty: TType) -> usize {
    match ty {
        TType::I16 => 2,
        TType::I32 | TType::String | TType::Utf7 | TType::Utf8 | TType::Utf16 => 4,
        TType::I64 | TType::Double => 8,
        TType::Map => 6,
        TType::Set | TType::List => 5,
        TType::Stop | TType::Void | TType::Bool | TType::I08 | TType::Struct => 1,
    }
}

fn too_big(what: &str, n: i64, budget: usize) -> thrift::Error {
    thrift::Error::Protocol(ProtocolError::new(
        ProtocolErrorKind::SizeLimit,
        format!("{what} of {n} exceeds what is left of the maximum message size ({budget} bytes)"),
    ))
}

/// Strict binary input protocol with a per-message byte budget: every length or element count
/// is checked against what the message may still contain before anything is allocated.
#[derive(Debug)]
pub(crate) struct BoundedBinaryInput<R: Read> {
    r: R,
    max_message: usize,
    max_elements: usize,
    budget: usize,
    broken: bool,
    /// A message header read ahead, returned by the next `read_message_begin`.
    replay: Option<TMessageIdentifier>,
}

impl<R: Read> BoundedBinaryInput<R> {
    pub(crate) fn new(r: R, max_message: usize, max_elements: usize) -> Self {
        BoundedBinaryInput {
            r,
            max_message,
            max_elements,
            budget: max_message,
            broken: false,
            replay: None,
        }
    }

    /// Hands a message header that was already read to the next `read_message_begin`, so a
    /// processor can read the call as if it had not been looked at.
    pub(crate) fn replay(&mut self, ident: TMessageIdentifier) {
        self.replay = Some(ident);
    }

    /// Whether a length was refused: the rest of the stream cannot be decoded any more, so the
    /// connection must be closed (after the error reply).
    pub(crate) fn is_broken(&self) -> bool {
        self.broken
    }

    fn refuse(&mut self, what: &str, n: i64) -> thrift::Error {
        self.broken = true;
        too_big(what, n, self.budget)
    }

    fn take(&mut self, n: usize) -> thrift::Result<()> {
        if n > self.budget {
            return Err(self.refuse("a read", n as i64));
        }
        self.budget -= n;
        Ok(())
    }

    fn read_array<const N: usize>(&mut self) -> thrift::Result<[u8; N]> {
        self.take(N)?;
        let mut b = [0u8; N];
        self.r.read_exact(&mut b)?;
        Ok(b)
    }

    fn length(&mut self, what: &str) -> thrift::Result<usize> {
        let n = i32::from_be_bytes(self.read_array()?);
        match usize::try_from(n) {
            Ok(n) if n <= self.budget => Ok(n),
            _ => Err(self.refuse(what, i64::from(n))),
        }
    }

    /// Reads an element count, refusing counts whose elements could not fit in what is left of
    /// the message (each element needs at least `min_size` bytes on the wire), so that a caller
    /// reserving capacity for them reserves no more than the message could fill.
    fn count(&mut self, what: &str, min_size: usize) -> thrift::Result<i32> {
        let n = i32::from_be_bytes(self.read_array()?);
        match usize::try_from(n) {
            Ok(c) if c.saturating_mul(min_size) <= self.budget && c <= self.max_elements => Ok(n),
            _ => Err(self.refuse(what, i64::from(n))),
        }
    }

    fn ttype(&mut self) -> thrift::Result<TType> {
        let [b] = self.read_array()?;
        Ok(match b {
            0x00 => TType::Stop,
            0x01 => TType::Void,
            0x02 => TType::Bool,
            0x03 => TType::I08,
            0x04 => TType::Double,
            0x06 => TType::I16,
            0x08 => TType::I32,
            0x0A => TType::I64,
            0x0B => TType::String,
            0x0C => TType::Struct,
            0x0D => TType::Map,
            0x0E => TType::Set,
            0x0F => TType::List,
            0x10 => TType::Utf8,
            0x11 => TType::Utf16,
            other => {
                return Err(thrift::Error::Protocol(ProtocolError::new(
                    ProtocolErrorKind::InvalidData,
                    format!("unknown field type {other:#04x}"),
                )))
            }
        })
    }
}

impl<R: Read> TInputProtocol for BoundedBinaryInput<R> {
    fn read_message_begin(&mut self) -> thrift::Result<TMessageIdentifier> {
        if let Some(ident) = self.replay.take() {
            return Ok(ident);
        }
        self.budget = self.max_message;
        let head: [u8; 4] = self.read_array()?;
        if head[0..2] != [0x80, 0x01] {
            return Err(thrift::Error::Protocol(ProtocolError::new(
                ProtocolErrorKind::BadVersion,
                format!("expected a strict binary message, got {head:02x?}"),
            )));
        }
        let kind = TMessageType::try_from(head[3])?;
        let name = self.read_string()?;
        let seq = self.read_i32()?;
        Ok(TMessageIdentifier::new(name, kind, seq))
    }
    fn read_message_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_struct_begin(&mut self) -> thrift::Result<Option<TStructIdentifier>> {
        Ok(None)
    }
    fn read_struct_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_field_begin(&mut self) -> thrift::Result<TFieldIdentifier> {
        let ty = self.ttype()?;
        let id = if ty == TType::Stop {
            0
        } else {
            self.read_i16()?
        };
        Ok(TFieldIdentifier::new::<Option<String>, String, i16>(
            None, ty, id,
        ))
    }
    fn read_field_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_bool(&mut self) -> thrift::Result<bool> {
        Ok(self.read_array::<1>()?[0] != 0)
    }
    fn read_bytes(&mut self) -> thrift::Result<Vec<u8>> {
        let n = self.length("a string length")?;
        self.take(n)?;
        // Grow with the bytes that actually arrive: a length alone reserves at most 64 KiB.
        let mut buf = Vec::with_capacity(n.min(64 << 10));
        (&mut self.r).take(n as u64).read_to_end(&mut buf)?;
        if buf.len() != n {
            return Err(thrift::Error::Transport(TransportError::new(
                TransportErrorKind::EndOfFile,
                format!("end of stream after {} of {n} string bytes", buf.len()),
            )));
        }
        Ok(buf)
    }
    fn read_i8(&mut self) -> thrift::Result<i8> {
        Ok(i8::from_be_bytes(self.read_array()?))
    }
    fn read_i16(&mut self) -> thrift::Result<i16> {
        Ok(i16::from_be_bytes(self.read_array()?))
    }
    fn read_i32(&mut self) -> thrift::Result<i32> {
        Ok(i32::from_be_bytes(self.read_array()?))
    }
    fn read_i64(&mut self) -> thrift::Result<i64> {
        Ok(i64::from_be_bytes(self.read_array()?))
    }
    fn read_double(&mut self) -> thrift::Result<f64> {
        Ok(f64::from_be_bytes(self.read_array()?))
    }
    fn read_string(&mut self) -> thrift::Result<String> {
        String::from_utf8(self.read_bytes()?).map_err(From::from)
    }
    fn read_list_begin(&mut self) -> thrift::Result<TListIdentifier> {
        let ty = self.ttype()?;
        let n = self.count("a list size", min_wire_size(ty))?;
        Ok(TListIdentifier::new(ty, n))
    }
    fn read_list_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_set_begin(&mut self) -> thrift::Result<TSetIdentifier> {
        let ty = self.ttype()?;
        let n = self.count("a set size", min_wire_size(ty))?;
        Ok(TSetIdentifier::new(ty, n))
    }
    fn read_set_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_map_begin(&mut self) -> thrift::Result<TMapIdentifier> {
        let k = self.ttype()?;
        let v = self.ttype()?;
        let n = self.count("a map size", min_wire_size(k) + min_wire_size(v))?;
        Ok(TMapIdentifier::new(Some(k), Some(v), n))
    }
    fn read_map_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_byte(&mut self) -> thrift::Result<u8> {
        Ok(self.read_array::<1>()?[0])
    }
}

/// Reads frames (4-byte big-endian length, then the payload) and serves their bytes as they
/// arrive: a frame's length is checked against the maximum but reserves no memory.
#[derive(Debug)]
pub(crate) struct FramedReader<R: Read> {
    inner: R,
    /// Bytes of the current frame not read yet.
    remaining: usize,
    max: usize,
    pending: Option<u32>,
}

impl<R: Read> FramedReader<R> {
    /// `first_len` is the length of the first frame, already read during detection.
    pub(crate) fn new(inner: R, first_len: u32, max: usize) -> Self {
        FramedReader {
            inner,
            remaining: 0,
            max,
            pending: Some(first_len),
        }
    }

    fn next_frame(&mut self) -> io::Result<()> {
        let len = match self.pending.take() {
            Some(l) => l,
            None => {
                let mut b = [0u8; 4];
                self.inner.read_exact(&mut b)?;
                u32::from_be_bytes(b)
            }
        };
        match usize::try_from(len) {
            Ok(n) if n <= self.max => {
                self.remaining = n;
                Ok(())
            }
            _ => {
                let msg = format!(
                    "frame of {len} bytes exceeds the maximum message size {}",
                    self.max
                );
                Err(io::Error::new(io::ErrorKind::InvalidData, msg))
            }
        }
    }
}

impl<R: Read> Read for FramedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Empty frames carry nothing: move on to the next one.
        while self.remaining == 0 {
            self.next_frame()?;
        }
        let want = buf.len().min(self.remaining);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            let msg = format!(
                "end of stream with {} bytes of a frame missing",
                self.remaining
            );
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, msg));
        }
        self.remaining = self.remaining.saturating_sub(n);
        Ok(n)
    }
}

/// Buffers one message and writes it as a frame on flush.
#[derive(Debug)]
pub(crate) struct FramedWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> FramedWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        FramedWriter {
            inner,
            buf: Vec::new(),
        }
    }
}

impl<W: Write> Write for FramedWriter<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        // An empty frame is no message; clients would read it as end of stream.
        if self.buf.is_empty() {
            return self.inner.flush();
        }
        let len = u32::try_from(self.buf.len()).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "reply too large for a frame")
        })?;
        self.inner.write_all(&len.to_be_bytes())?;
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_framing() {
        assert_eq!(detect([0x80, 1, 0, 1], 100), Framing::Unframed);
        assert_eq!(detect([0, 0, 0, 40], 100), Framing::Framed(40));
        assert!(matches!(
            detect([0x7f, 0xff, 0xff, 0xff], 100),
            Framing::Refused(_)
        ));
        assert!(matches!(detect([1, 0, 0, 5], 100), Framing::Refused(_)));
        assert!(matches!(detect(*b"POST", 1 << 30), Framing::Refused(_)));
        assert!(matches!(
            detect([0x82, 0x21, 0, 0], 100),
            Framing::Refused(_)
        ));
    }

    fn message(name: &str, body: &[u8]) -> Vec<u8> {
        let mut m = vec![0x80, 0x01, 0x00, 0x01];
        m.extend_from_slice(&(name.len() as i32).to_be_bytes());
        m.extend_from_slice(name.as_bytes());
        m.extend_from_slice(&7i32.to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn refuses_huge_lengths_before_allocating() {
        // A string field declaring 2 GB.
        let mut body = vec![0x0B, 0, 1];
        body.extend_from_slice(&0x7FFF_FFF0i32.to_be_bytes());
        let bytes = message("get_database", &body);
        let mut p = BoundedBinaryInput::new(&bytes[..], 1 << 20, 1000);
        p.read_message_begin().unwrap();
        p.read_field_begin().unwrap();
        assert!(matches!(p.read_string(), Err(thrift::Error::Protocol(_))));
        // A negative length and a huge list are refused too.
        let mut q = BoundedBinaryInput::new(&[0xFF, 0xFF, 0xFF, 0xFF][..], 100, 10);
        assert!(q.read_bytes().is_err());
        let mut l = BoundedBinaryInput::new(&[0x0C, 0x00, 0x10, 0x00, 0x00][..], 1 << 30, 1000);
        assert!(l.read_list_begin().is_err());
    }

    /// A reader over some bytes that records the largest buffer it was asked to fill: what a
    /// caller had allocated before the bytes arrived.
    struct Probe<'a> {
        data: &'a [u8],
        largest_buf: usize,
    }

    impl Read for Probe<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.largest_buf = self.largest_buf.max(buf.len());
            self.data.read(buf)
        }
    }

    fn probe(data: &[u8]) -> Probe<'_> {
        Probe {
            data,
            largest_buf: 0,
        }
    }

    fn is_eof(e: &thrift::Error) -> bool {
        matches!(e, thrift::Error::Transport(t) if t.kind == TransportErrorKind::EndOfFile)
    }

    #[test]
    fn declared_string_length_allocates_nothing_before_the_bytes_arrive() {
        let mut bytes = (100i32 << 20).to_be_bytes().to_vec();
        bytes.extend_from_slice(b"0123456789");
        let mut src = probe(&bytes);
        let started = std::time::Instant::now();
        let mut p = BoundedBinaryInput::new(&mut src, 200 << 20, 1000);
        let e = p.read_bytes().unwrap_err();
        assert!(is_eof(&e), "{e:?}");
        assert!(
            !p.is_broken(),
            "a short read is an end of stream, not a refused length"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            src.largest_buf <= 64 << 10,
            "buffer of {} bytes",
            src.largest_buf
        );
        // A complete string still reads whole, across many reads.
        let mut ok = 100_000i32.to_be_bytes().to_vec();
        ok.extend([b'x'; 100_000]);
        let mut p = BoundedBinaryInput::new(&ok[..], 1 << 20, 1000);
        assert_eq!(p.read_bytes().unwrap().len(), 100_000);
    }

    #[test]
    fn counts_must_fit_the_message_at_the_element_size() {
        let list = |ty: u8, n: i32| {
            let mut b = vec![ty];
            b.extend_from_slice(&n.to_be_bytes());
            b
        };
        // 50 i64s need 400 bytes: more than a 100-byte message holds, though 50 < 100.
        let b = list(0x0A, 50);
        let mut p = BoundedBinaryInput::new(&b[..], 100, 1000);
        assert!(p.read_list_begin().is_err());
        assert!(p.is_broken());
        let mut p = BoundedBinaryInput::new(&b[..], 1000, 1000);
        assert_eq!(p.read_list_begin().unwrap().size, 50);
        // After the 5-byte header, 95 bytes hold 19 lists (5 bytes each), 7 string-to-i64 pairs
        // (12 bytes each) after a 6-byte map header.
        let b = list(0x0F, 20);
        assert!(BoundedBinaryInput::new(&b[..], 100, 1000)
            .read_set_begin()
            .is_err());
        let b = list(0x0F, 19);
        assert!(BoundedBinaryInput::new(&b[..], 100, 1000)
            .read_set_begin()
            .is_ok());
        let mut b = vec![0x0B];
        b.extend(list(0x0A, 8));
        assert!(BoundedBinaryInput::new(&b[..], 100, 1000)
            .read_map_begin()
            .is_err());
        let mut b = vec![0x0B];
        b.extend(list(0x0A, 7));
        let mut p = BoundedBinaryInput::new(&b[..], 100, 1000);
        assert_eq!(p.read_map_begin().unwrap().size, 7);
        // The element cap still applies to the smallest elements.
        let b = list(0x03, 11);
        assert!(BoundedBinaryInput::new(&b[..], 100, 10)
            .read_list_begin()
            .is_err());
    }

    #[test]
    fn framed_reader_streams_frames() {
        let mut wire = b"abc".to_vec();
        wire.extend_from_slice(&4u32.to_be_bytes());
        wire.extend_from_slice(b"defg");
        wire.extend_from_slice(&0u32.to_be_bytes());
        wire.extend_from_slice(&2u32.to_be_bytes());
        wire.extend_from_slice(b"hi");
        let mut r = FramedReader::new(&wire[..], 3, 100);
        let mut got = [0u8; 9];
        r.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"abcdefghi");
        let e = r.read(&mut got).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        // Frames over the maximum are refused, the first or a later one.
        let mut r = FramedReader::new(&b"ab\0\0\0\x65"[..], 2, 100);
        r.read_exact(&mut got[..2]).unwrap();
        assert_eq!(
            r.read(&mut got).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let mut r = FramedReader::new(&b"abc"[..], 101, 100);
        assert_eq!(
            r.read(&mut got).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn framed_reader_allocates_nothing_for_a_declared_frame() {
        // A 100 MB frame whose first bytes alone have arrived: they are served as they come.
        let mut src = probe(b"0123456789");
        let mut r = FramedReader::new(&mut src, 100 << 20, 200 << 20);
        let mut got = [0u8; 10];
        r.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"0123456789");
        let e = r.read(&mut got).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(src.largest_buf <= 10, "buffer of {} bytes", src.largest_buf);
    }

    #[test]
    fn reads_a_message_and_frames_round_trip() {
        let bytes = message("get_all_databases", &[0]);
        let mut framed = (bytes.len() as u32).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        let mut r = FramedReader::new(&framed[4..], bytes.len() as u32, 1 << 20);
        let mut p = BoundedBinaryInput::new(&mut r, 1 << 20, 1000);
        let id = p.read_message_begin().unwrap();
        assert_eq!(
            (id.name.as_str(), id.sequence_number),
            ("get_all_databases", 7)
        );
        let mut out = FramedWriter::new(Vec::new());
        out.write_all(b"abc").unwrap();
        out.flush().unwrap();
        out.flush().unwrap();
        assert_eq!(
            out.inner, b"\0\0\0\x03abc",
            "a flush with nothing written sends no frame"
        );
    }
}
