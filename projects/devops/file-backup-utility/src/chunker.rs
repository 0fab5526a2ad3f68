//! Content-defined chunking of a stream with one reusable buffer.
//!
//! fastcdc's `StreamCDC` allocates (and zeroes) a buffer of the maximum chunk size for every
//! stream and copies each chunk out of it; over many small files that zeroing was a third of a
//! backup's time. [`Chunker`] keeps one buffer for the whole run and hands out slices. The cut
//! points are the same as `StreamCDC`'s: every cut is computed over at least `max` bytes, or
//! over what is left at the end of the stream.

use std::io::Read;

use fastcdc::v2020::{Normalization, cut, select_masks};

pub struct Chunker {
    buf: Vec<u8>,
    min: usize,
    avg: usize,
    max: usize,
    mask_s: u64,
    mask_l: u64,
}

impl Chunker {
    pub fn new(min: usize, avg: usize, max: usize) -> Chunker {
        let (mask_s, mask_l) = select_masks(avg, Normalization::Level1);
        Chunker {
            buf: Vec::new(),
            min,
            avg,
            max,
            mask_s,
            mask_l,
        }
    }

    /// Calls `each` with every chunk of `source`, in order.
    pub fn chunks<R: Read, E: From<std::io::Error>>(
        &mut self,
        mut source: R,
        mut each: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let cap = 2 * self.max;
        if self.buf.len() < cap {
            self.buf.resize(cap, 0);
        }
        let (mut start, mut len, mut eof) = (0, 0, false);
        loop {
            while !eof && len < cap {
                match source.read(&mut self.buf[len..cap]) {
                    Ok(0) => eof = true,
                    Ok(n) => len += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            while start < len && (eof || len - start >= self.max) {
                let (_, count) = cut(
                    &self.buf[start..len],
                    self.min,
                    self.avg,
                    self.max,
                    self.mask_s,
                    self.mask_l,
                    self.mask_s << 1,
                    self.mask_l << 1,
                );
                let count = count.max(1).min(len - start);
                each(&self.buf[start..start + count])?;
                start += count;
            }
            if eof {
                return Ok(());
            }
            self.buf.copy_within(start..len, 0);
            len -= start;
            start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same cut points as fastcdc's `StreamCDC` (so repositories written before keep
    /// deduplicating), over data larger than the buffer and with a reader that returns little
    /// at a time.
    #[test]
    fn cuts_like_streamcdc() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = out.len().min(self.0.len()).min(7919);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let data: Vec<u8> = (0..700_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let (min, avg, max) = (4096, 16384, 65536);
        let expected: Vec<usize> = fastcdc::v2020::StreamCDC::new(&data[..], min, avg, max)
            .map(|c| c.unwrap().length)
            .collect();
        let mut chunker = Chunker::new(min, avg, max);
        for round in 0..2 {
            let mut got = Vec::new();
            let mut joined = Vec::new();
            chunker
                .chunks::<_, std::io::Error>(Trickle(&data), |c| {
                    got.push(c.len());
                    joined.extend_from_slice(c);
                    Ok(())
                })
                .unwrap();
            assert_eq!(got, expected, "round {round}");
            assert_eq!(joined, data);
        }
        let mut none = 0;
        chunker
            .chunks::<_, std::io::Error>(&[][..], |_| {
                none += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(none, 0, "an empty stream has no chunks");
    }
}
