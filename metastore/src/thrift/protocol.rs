//! Wire-level pieces of the server: a binary input protocol that refuses oversized lengths
//! before allocating anything, the framed transport, and detection of the client's framing
//! from its first four bytes.

use std::io::{self, Read, Write};

use thrift::protocol::{
    TFieldIdentifier, TInputProtocol, TListIdentifier, TMapIdentifier, TMessageIdentifier,
    TMessageType, TSetIdentifier, TStructIdentifier, TType,
};
use thrift::{ProtocolError, ProtocolErrorKind};

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
}

impl<R: Read> BoundedBinaryInput<R> {
    pub(crate) fn new(r: R, max_message: usize, max_elements: usize) -> Self {
        BoundedBinaryInput {
            r,
            max_message,
            max_elements,
            budget: max_message,
            broken: false,
        }
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

    fn count(&mut self, what: &str) -> thrift::Result<i32> {
        let n = i32::from_be_bytes(self.read_array()?);
        match usize::try_from(n) {
            Ok(c) if c <= self.budget && c <= self.max_elements => Ok(n),
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
        let mut buf = vec![0u8; n];
        self.r.read_exact(&mut buf)?;
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
        Ok(TListIdentifier::new(ty, self.count("a list size")?))
    }
    fn read_list_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_set_begin(&mut self) -> thrift::Result<TSetIdentifier> {
        let ty = self.ttype()?;
        Ok(TSetIdentifier::new(ty, self.count("a set size")?))
    }
    fn read_set_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_map_begin(&mut self) -> thrift::Result<TMapIdentifier> {
        let k = self.ttype()?;
        let v = self.ttype()?;
        let n = self.count("a map size")?;
        Ok(TMapIdentifier::new(Some(k), Some(v), n))
    }
    fn read_map_end(&mut self) -> thrift::Result<()> {
        Ok(())
    }
    fn read_byte(&mut self) -> thrift::Result<u8> {
        Ok(self.read_array::<1>()?[0])
    }
}

/// Reads frames (4-byte big-endian length, then the payload) and serves their bytes.
#[derive(Debug)]
pub(crate) struct FramedReader<R: Read> {
    inner: R,
    frame: Vec<u8>,
    pos: usize,
    max: usize,
    pending: Option<u32>,
}

impl<R: Read> FramedReader<R> {
    /// `first_len` is the length of the first frame, already read during detection.
    pub(crate) fn new(inner: R, first_len: u32, max: usize) -> Self {
        FramedReader {
            inner,
            frame: Vec::new(),
            pos: 0,
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
        if len as usize > self.max {
            let msg = format!(
                "frame of {len} bytes exceeds the maximum message size {}",
                self.max
            );
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        }
        self.frame.clear();
        self.frame.resize(len as usize, 0);
        self.inner.read_exact(&mut self.frame)?;
        self.pos = 0;
        Ok(())
    }
}

impl<R: Read> Read for FramedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.frame.len() {
            self.next_frame()?;
        }
        let n = buf.len().min(self.frame.len() - self.pos);
        buf[..n].copy_from_slice(&self.frame[self.pos..self.pos + n]);
        self.pos += n;
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
