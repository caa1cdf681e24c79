//! ORC's compression framing: each stream (and the file footer and metadata) is cut into
//! blocks of at most `BLOCK` bytes; each block is stored after a three-byte little-endian
//! header `length << 1 | original`, compressed, or as it was when compressing does not make it
//! smaller. ZLIB is raw deflate (no zlib header), SNAPPY and LZ4 are raw blocks, ZSTD frames.

use std::io::Write;

use orc_rust::proto::CompressionKind;

use super::{OrcError, Result};

/// The codecs this writer compresses with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Zlib,
    Snappy,
    Lz4,
    Zstd,
}

/// Bytes of uncompressed input per block (Java ORC's default).
pub(super) const BLOCK: usize = 256 * 1024;

/// zstd's level for ORC (Java ORC's default).
const ZSTD_LEVEL: i32 = 1;

/// The postscript's name of `codec`.
pub(super) fn kind(codec: Option<Codec>) -> CompressionKind {
    match codec {
        None => CompressionKind::None,
        Some(Codec::Zlib) => CompressionKind::Zlib,
        Some(Codec::Snappy) => CompressionKind::Snappy,
        Some(Codec::Lz4) => CompressionKind::Lz4,
        Some(Codec::Zstd) => CompressionKind::Zstd,
    }
}

/// Appends `input` to `out` in ORC's framing for `codec` (as it is without one).
pub(super) fn append(codec: Option<Codec>, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let Some(codec) = codec else {
        out.extend_from_slice(input);
        return Ok(());
    };
    for block in input.chunks(BLOCK) {
        let packed = compress(codec, block)?;
        let (body, original) = if packed.len() < block.len() {
            (packed.as_slice(), 0)
        } else {
            (block, 1)
        };
        let header = (body.len() << 1) | original;
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(body);
    }
    Ok(())
}

fn compress(codec: Codec, block: &[u8]) -> Result<Vec<u8>> {
    let failed = |e: std::io::Error| OrcError::Compress(e.to_string());
    Ok(match codec {
        Codec::Zlib => {
            let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
            z.write_all(block).map_err(failed)?;
            z.finish().map_err(failed)?
        }
        Codec::Snappy => snap::raw::Encoder::new()
            .compress_vec(block)
            .map_err(|e| OrcError::Compress(e.to_string()))?,
        Codec::Lz4 => lz4_flex::block::compress(block),
        Codec::Zstd => zstd::bulk::compress(block, ZSTD_LEVEL).map_err(failed)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_carry_their_length_and_whether_they_are_compressed() {
        let mut out = Vec::new();
        append(None, b"abc", &mut out).unwrap();
        assert_eq!(out, b"abc");

        // incompressible input is stored as it was, flagged original
        let mut out = Vec::new();
        append(Some(Codec::Zlib), b"ab", &mut out).unwrap();
        assert_eq!(out, [(2 << 1) | 1, 0, 0, b'a', b'b']);

        // compressible input is smaller, flagged compressed, and inflates back
        let input = vec![b'x'; 10_000];
        let mut out = Vec::new();
        append(Some(Codec::Zlib), &input, &mut out).unwrap();
        let header = u32::from_le_bytes([out[0], out[1], out[2], 0]) as usize;
        assert_eq!(header & 1, 0);
        assert_eq!(header >> 1, out.len() - 3);
        let mut back = Vec::new();
        let mut z = flate2::write::DeflateDecoder::new(&mut back);
        z.write_all(&out[3..]).unwrap();
        z.finish().unwrap();
        assert_eq!(back, input);
    }

    #[test]
    fn long_input_is_cut_into_blocks() {
        let input = vec![7u8; BLOCK + 10];
        for codec in [Codec::Zlib, Codec::Snappy, Codec::Lz4, Codec::Zstd] {
            let mut out = Vec::new();
            append(Some(codec), &input, &mut out).unwrap();
            let first = u32::from_le_bytes([out[0], out[1], out[2], 0]) as usize >> 1;
            let second = &out[3 + first..];
            let len = u32::from_le_bytes([second[0], second[1], second[2], 0]) as usize >> 1;
            assert_eq!(3 + len, second.len(), "{codec:?}");
        }
    }
}
