//! The value encodings of ORC's first run-length version (the `DIRECT` column encoding), which
//! every ORC reader since Hive 0.11 understands:
//!
//! - varints: base 128, the low seven bits first, the high bit set on every byte but the last;
//!   signed values are zigzagged first (0, -1, 1, -2 … become 0, 1, 2, 3 …);
//! - byte runs: a header byte 0..=127 is a run of `header + 3` copies of the next byte, a
//!   header -1..=-128 (as a signed byte) is that many literal bytes;
//! - booleans: eight to a byte, the first in the high bit, then byte runs;
//! - integer runs: a header 0..=127 is a run of `header + 3` values that start at the varint
//!   after a signed delta byte and step by that delta; a header -1..=-128 is that many literal
//!   varints.

/// Longest run one header describes.
const MAX_RUN: usize = 130;
/// Shortest run worth a run header.
const MIN_RUN: usize = 3;
/// Most literals one header describes.
const MAX_LITERALS: usize = 128;

/// Appends `v` as a varint.
pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `v` zigzagged, so that values near zero of either sign have short varints.
pub(super) fn zigzag(v: i128) -> u128 {
    ((v << 1) ^ (v >> 127)) as u128
}

/// The header byte of `n` literals (1..=128): -n as a signed byte.
fn literal_header(n: usize) -> u8 {
    (n as i16).wrapping_neg() as u8
}

/// Byte runs of `values`.
pub(super) fn byte_runs(values: &[u8], out: &mut Vec<u8>) {
    let (mut i, mut literals) = (0, 0);
    while i < values.len() {
        let run = values[i..]
            .iter()
            .take(MAX_RUN)
            .take_while(|&&b| b == values[i])
            .count();
        if run >= MIN_RUN {
            byte_literals(&values[literals..i], out);
            out.push((run - MIN_RUN) as u8);
            out.push(values[i]);
            i += run;
            literals = i;
        } else {
            i += 1;
        }
    }
    byte_literals(&values[literals..], out);
}

fn byte_literals(values: &[u8], out: &mut Vec<u8>) {
    for chunk in values.chunks(MAX_LITERALS) {
        out.push(literal_header(chunk.len()));
        out.extend_from_slice(chunk);
    }
}

/// Booleans packed the first in the high bit, then byte runs. `lsb_first` holds the bits the
/// way Arrow packs them (the first in the low bit), `len` of them.
pub(super) fn boolean_runs(lsb_first: &[u8], len: usize, out: &mut Vec<u8>) {
    let bytes: Vec<u8> = lsb_first[..len.div_ceil(8)]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let used = (len - i * 8).min(8);
            // bits past the end are left as zero
            (b & (0xffu16 >> (8 - used)) as u8).reverse_bits()
        })
        .collect();
    byte_runs(&bytes, out);
}

/// Integer runs of `values`, zigzagged when `signed` (negative values need it).
pub(super) fn integer_runs(values: &[i64], signed: bool, out: &mut Vec<u8>) {
    let put = |out: &mut Vec<u8>, v: i64| {
        if signed {
            put_varint(out, zigzag(v.into()));
        } else {
            put_varint(out, v as u64 as u128);
        }
    };
    let (mut i, mut literals) = (0, 0);
    while i < values.len() {
        match run_at(&values[i..]) {
            Some((len, delta)) => {
                for chunk in values[literals..i].chunks(MAX_LITERALS) {
                    out.push(literal_header(chunk.len()));
                    chunk.iter().for_each(|&v| put(out, v));
                }
                out.push((len - MIN_RUN) as u8);
                out.push(delta as u8);
                put(out, values[i]);
                i += len;
                literals = i;
            }
            None => i += 1,
        }
    }
    for chunk in values[literals..].chunks(MAX_LITERALS) {
        out.push(literal_header(chunk.len()));
        chunk.iter().for_each(|&v| put(out, v));
    }
}

/// The length and step of the run at the start of `values`, if at least `MIN_RUN` values
/// step by one delta that fits a signed byte.
fn run_at(values: &[i64]) -> Option<(usize, i8)> {
    let step = |j: usize| values[j].checked_sub(values[j - 1]);
    if values.len() < MIN_RUN {
        return None;
    }
    let delta = step(1)?;
    let small = i8::try_from(delta).ok()?;
    if step(2) != Some(delta) {
        return None;
    }
    let len = (MIN_RUN..values.len().min(MAX_RUN))
        .find(|&j| step(j) != Some(delta))
        .unwrap_or(values.len().min(MAX_RUN));
    Some((len, small))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(values: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        byte_runs(values, &mut out);
        out
    }

    fn ints(values: &[i64], signed: bool) -> Vec<u8> {
        let mut out = Vec::new();
        integer_runs(values, signed, &mut out);
        out
    }

    #[test]
    fn byte_runs_match_the_specification_examples() {
        assert_eq!(bytes(&[0; 100]), [0x61, 0x00]);
        assert_eq!(bytes(&[0x44, 0x45]), [0xfe, 0x44, 0x45]);
        // a run longer than one header allows continues in a second one
        assert_eq!(bytes(&[7; 133]), [0x7f, 7, 0x00, 7]);
        // literals around a run
        assert_eq!(bytes(&[1, 2, 2, 2, 3]), [0xff, 1, 0x00, 2, 0xff, 3]);
        assert_eq!(bytes(&[]), [] as [u8; 0]);
    }

    #[test]
    fn long_literal_stretches_split_at_128() {
        let values: Vec<u8> = (0..200).map(|i| (i % 2) as u8).collect();
        let out = bytes(&values);
        assert_eq!(out[0], 0x80); // -128
        assert_eq!(out[129], literal_header(72));
        assert_eq!(out.len(), 2 + 200);
    }

    #[test]
    fn booleans_fill_bytes_from_the_high_bit() {
        // true, false, true (Arrow: bits 0 and 2) → 0b1010_0000
        let mut out = Vec::new();
        boolean_runs(&[0b0000_0101], 3, &mut out);
        assert_eq!(out, [0xff, 0b1010_0000]);
        // bits past the length are cleared even when the buffer holds some
        let mut out = Vec::new();
        boolean_runs(&[0xff, 0xff], 9, &mut out);
        assert_eq!(out, [0xfe, 0xff, 0x80]);
    }

    #[test]
    fn integer_runs_match_the_specification_examples() {
        assert_eq!(ints(&[7; 100], false), [0x61, 0x00, 0x07]);
        let down: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(ints(&down, false), [0x61, 0xff, 0x64]);
        assert_eq!(
            ints(&[2, 3, 6, 7, 11], false),
            [0xfb, 0x02, 0x03, 0x06, 0x07, 0x0b]
        );
    }

    #[test]
    fn signed_values_are_zigzagged() {
        assert_eq!(ints(&[0, -1, 1, -64], true), [0xfc, 0, 1, 2, 0x7f]);
        assert_eq!(ints(&[i64::MIN], true), {
            let mut v = vec![0xff];
            put_varint(&mut v, u64::MAX as u128);
            v
        });
        assert_eq!(zigzag(-(1i128 << 100)), (1u128 << 101) - 1);
    }

    #[test]
    fn runs_need_a_delta_that_fits_a_byte_and_no_overflow() {
        // steps of 200 are literals
        assert_eq!(ints(&[0, 200, 400], false)[0], literal_header(3));
        // steps across the i64 range do not overflow
        assert_eq!(
            ints(&[i64::MIN, i64::MAX, i64::MIN], true)[0],
            literal_header(3)
        );
        // a run after literals, then literals again
        assert_eq!(
            ints(&[9, 5, 5, 5, 1], false),
            [0xff, 9, 0x00, 0x00, 5, 0xff, 1]
        );
    }

    #[test]
    fn varints_take_seven_bits_a_byte() {
        let mut out = Vec::new();
        put_varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }
}
