//! The cursor against a model: random writes in random pieces (so fields straddle chunks),
//! random cursor reads, commits and abandoned cursors, each compared with the same read done
//! plainly on a `Vec<u8>`. Every shortfall must be `NeedMore` with the position unmoved, and
//! the pool must balance at the end.

mod common;

use common::{feed, finish, pipe_with_chunks};
use pipe_core::{Cursor, ReadError};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Write(Vec<u8>, usize),
    U8,
    U16Be,
    U24Le,
    U32Le,
    I64Be,
    Take(usize),
    Skip(usize),
    Until(Vec<u8>),
    UntilAny(Vec<u8>),
    IsNext(Vec<u8>),
    SkipIf(Vec<u8>),
    SkipAny(Vec<u8>),
    Decimal,
    SignedDecimal,
    Hex,
    /// Commit what the cursor read so far and start a new one.
    Commit,
    /// Drop the cursor without committing.
    Abandon,
}

fn small_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(b'a'),
            Just(b'-'),
            Just(b'\n'),
            Just(b'1'),
            Just(b'f'),
            any::<u8>()
        ],
        0..4,
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (proptest::collection::vec(prop_oneof![Just(b'7'), Just(b'-'), Just(b'\n'), Just(b'a'), any::<u8>()], 0..40), 1..9usize)
            .prop_map(|(d, p)| Op::Write(d, p)),
        1 => Just(Op::U8),
        1 => Just(Op::U16Be),
        1 => Just(Op::U24Le),
        1 => Just(Op::U32Le),
        1 => Just(Op::I64Be),
        1 => (0..20usize).prop_map(Op::Take),
        1 => (0..20usize).prop_map(Op::Skip),
        1 => small_bytes().prop_map(Op::Until),
        1 => small_bytes().prop_map(Op::UntilAny),
        1 => small_bytes().prop_map(Op::IsNext),
        1 => small_bytes().prop_map(Op::SkipIf),
        1 => small_bytes().prop_map(Op::SkipAny),
        1 => Just(Op::Decimal),
        1 => Just(Op::SignedDecimal),
        1 => Just(Op::Hex),
        1 => Just(Op::Commit),
        1 => Just(Op::Abandon),
    ]
}

/// What a read gave, comparable between the cursor and the model.
#[derive(Debug, PartialEq)]
enum Got {
    Value(Vec<u8>),
    NeedMore,
    Limit,
    Malformed,
    Invalid,
}

fn got<T: Into<Vec<u8>>>(r: Result<T, ReadError>) -> Got {
    match r {
        Ok(v) => Got::Value(v.into()),
        Err(ReadError::NeedMore) => Got::NeedMore,
        Err(ReadError::LimitExceeded { .. }) => Got::Limit,
        Err(ReadError::Malformed(_)) => Got::Malformed,
        Err(ReadError::InvalidArgument(_)) => Got::Invalid,
        Err(e) => panic!("unexpected {e:?}"),
    }
}

/// The plain reads: `data` is everything buffered, `pos` the cursor's position.
struct Model {
    data: Vec<u8>,
    pos: usize,
    limit: usize,
}

impl Model {
    fn rest(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    fn bytes(&mut self, n: usize) -> Got {
        if self.rest().len() < n {
            return Got::NeedMore;
        }
        let out = self.rest()[..n].to_vec();
        self.pos += n;
        Got::Value(out)
    }

    fn until(&mut self, sep: &[u8]) -> Got {
        if sep.is_empty() {
            return Got::Invalid;
        }
        let window = self.limit + sep.len();
        let hay = &self.rest()[..self.rest().len().min(window)];
        match hay.windows(sep.len()).position(|w| w == sep) {
            Some(i) => {
                let out = self.rest()[..i].to_vec();
                self.pos += i + sep.len();
                Got::Value(out)
            }
            None if self.rest().len() >= window => Got::Limit,
            None => Got::NeedMore,
        }
    }

    fn until_any(&mut self, set: &[u8]) -> Got {
        if set.is_empty() {
            return Got::Invalid;
        }
        let hay = &self.rest()[..self.rest().len().min(self.limit + 1)];
        match hay.iter().position(|b| set.contains(b)) {
            Some(i) => {
                let mut out = self.rest()[..i].to_vec();
                out.push(self.rest()[i]); // the delimiter, appended for comparison
                self.pos += i + 1;
                Got::Value(out)
            }
            None if self.rest().len() > self.limit => Got::Limit,
            None => Got::NeedMore,
        }
    }

    fn is_next(&self, expected: &[u8]) -> Got {
        let rest = self.rest();
        let k = rest.len().min(expected.len());
        if rest[..k] != expected[..k] {
            Got::Value(vec![0])
        } else if k < expected.len() {
            Got::NeedMore
        } else {
            Got::Value(vec![1])
        }
    }

    fn number(&mut self, radix: u32, signed: bool) -> Got {
        let rest = self.rest();
        let neg = signed && rest.first() == Some(&b'-');
        if signed && rest.is_empty() {
            return Got::NeedMore;
        }
        let digits = &rest[usize::from(neg)..];
        let n = digits
            .iter()
            .take_while(|b| (**b as char).is_digit(radix))
            .count();
        if n == digits.len() {
            // The digits run to the end: `Malformed` at once if those already pass what the
            // result holds (no more digits can bring it back), else more may come.
            let so_far = digits.iter().fold(0u128, |v, &b| {
                (v * u128::from(radix) + u128::from((b as char).to_digit(radix).unwrap_or(0)))
                    .min(u128::from(u64::MAX) + 1)
            });
            let most = match (signed, neg) {
                (false, _) => u128::from(u64::MAX),
                (true, false) => i64::MAX as u128,
                (true, true) => 1 << 63,
            };
            return if so_far > most {
                Got::Malformed
            } else {
                Got::NeedMore
            };
        }
        if n == 0 {
            return Got::Malformed;
        }
        let text = std::str::from_utf8(&digits[..n]).unwrap();
        let Ok(v) = u64::from_str_radix(text, radix) else {
            return Got::Malformed;
        };
        let value: i128 = if neg { -(v as i128) } else { v as i128 };
        if signed && i64::try_from(value).is_err() {
            return Got::Malformed;
        }
        self.pos += usize::from(neg) + n;
        Got::Value(value.to_be_bytes().to_vec())
    }
}

fn apply(c: &mut Cursor<'_>, m: &mut Model, op: &Op) -> (Got, Got) {
    let int = |v: Result<i128, ReadError>| got(v.map(|v| v.to_be_bytes().to_vec()));
    match op {
        Op::U8 => (got(c.u8().map(|v| vec![v])), m.bytes(1)),
        Op::U16Be => (
            got(c.u16_be().map(|v| v.to_be_bytes().to_vec())),
            m.bytes(2),
        ),
        Op::U24Le => (
            got(c.u24_le().map(|v| v.to_le_bytes()[..3].to_vec())),
            m.bytes(3),
        ),
        Op::U32Le => (
            got(c.u32_le().map(|v| v.to_le_bytes().to_vec())),
            m.bytes(4),
        ),
        Op::I64Be => (
            got(c.i64_be().map(|v| v.to_be_bytes().to_vec())),
            m.bytes(8),
        ),
        Op::Take(n) => (got(c.bytes(*n).map(|b| b.to_vec())), m.bytes(*n)),
        Op::Skip(n) => (got(c.skip(*n).map(|()| Vec::new())), {
            match m.bytes(*n) {
                Got::Value(_) => Got::Value(Vec::new()),
                other => other,
            }
        }),
        Op::Until(sep) => (got(c.until(sep).map(|b| b.to_vec())), m.until(sep)),
        Op::UntilAny(set) => (
            got(c.until_any(set).map(|(b, d)| {
                let mut v = b.to_vec();
                v.push(d);
                v
            })),
            m.until_any(set),
        ),
        Op::IsNext(e) => (got(c.is_next(e).map(|b| vec![u8::from(b)])), m.is_next(e)),
        Op::SkipIf(e) => {
            let want = m.is_next(e);
            if want == Got::Value(vec![1]) {
                m.pos += e.len();
            }
            (got(c.skip_if(e).map(|b| vec![u8::from(b)])), want)
        }
        Op::SkipAny(set) => {
            let n = m.rest().iter().take_while(|b| set.contains(b)).count();
            // An empty set matches nothing: `Ok(0)`, even at the end of what is buffered.
            let want = if n == m.rest().len() && !set.is_empty() {
                Got::NeedMore
            } else {
                m.pos += n;
                Got::Value((n as u64).to_be_bytes().to_vec())
            };
            (
                got(c.skip_any(set).map(|n| (n as u64).to_be_bytes().to_vec())),
                want,
            )
        }
        Op::Decimal => (int(c.decimal().map(i128::from)), m.number(10, false)),
        Op::Hex => (int(c.hex().map(i128::from)), m.number(16, false)),
        Op::SignedDecimal => (int(c.signed_decimal().map(i128::from)), m.number(10, true)),
        Op::Write(..) | Op::Commit | Op::Abandon => unreachable!("handled by the runner"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn the_cursor_reads_like_a_plain_slice(ops in proptest::collection::vec(op(), 1..60), limit in 4..40usize) {
        let (mut pipe, pool) = pipe_with_chunks(64, limit);
        let mut model = Model { data: Vec::new(), pos: 0, limit };
        let mut i = 0;
        while i < ops.len() {
            // Writes happen between cursors (a cursor borrows the pipe).
            if let Op::Write(data, piece) = &ops[i] {
                feed(&mut pipe, data, *piece);
                model.data.extend_from_slice(data);
                i += 1;
                continue;
            }
            let mut cursor = pipe.cursor();
            model.pos = 0;
            while i < ops.len() {
                match &ops[i] {
                    Op::Write(..) => break,
                    Op::Commit => {
                        i += 1;
                        break;
                    }
                    Op::Abandon => {
                        model.pos = 0;
                        i += 1;
                        break;
                    }
                    op => {
                        let before = cursor.position();
                        let (g, w) = apply(&mut cursor, &mut model, op);
                        prop_assert_eq!(&g, &w, "{:?} at {}", op, before);
                        if !matches!(g, Got::Value(_)) {
                            prop_assert_eq!(cursor.position(), before, "a failed read moved");
                        }
                        prop_assert_eq!(cursor.position(), model.pos);
                        i += 1;
                    }
                }
            }
            // Commit unless abandoned: what the cursor read leaves the pipe and the model.
            let abandoned = matches!(ops.get(i.wrapping_sub(1)), Some(Op::Abandon));
            if !abandoned {
                cursor.commit();
                model.data.drain(..model.pos);
            } // else the cursor is dropped: nothing consumed
            model.pos = 0;
            prop_assert_eq!(pipe.len(), model.data.len());
        }
        drop(pipe);
        let stats = pool.stats();
        prop_assert_eq!(stats.outstanding_chunks, 0);
        let _ = finish;
    }
}

/// The edge cases the cursor's docs name: empty sets and patterns, integer sizes out of range
/// whatever is buffered, and numbers past `u64::MAX` whose digits run to the end (`Malformed`
/// at once); nothing moves on an error.
#[test]
fn empty_patterns_sizes_out_of_range_and_overlong_numbers() {
    let mut pipe = pipe_core::Pipe::new();
    pipe.write_all(b"abc").unwrap();
    {
        let mut cursor = pipe.cursor();
        assert!(matches!(
            cursor.until_any(b""),
            Err(pipe_core::ReadError::InvalidArgument(_))
        ));
        assert!(cursor.is_next(b"").unwrap());
        assert!(cursor.skip_if(b"").unwrap());
        assert_eq!(cursor.skip_any(b"").unwrap(), 0);
        for n in [0, 9, usize::MAX] {
            assert!(matches!(
                cursor.uint_be(n),
                Err(pipe_core::ReadError::InvalidArgument(_))
            ));
            assert!(matches!(
                cursor.uint_le(n),
                Err(pipe_core::ReadError::InvalidArgument(_))
            ));
        }
        assert_eq!(cursor.position(), 0);
    }
    // One under u64::MAX's digits at the end: more may come; past it: malformed already.
    for (digits, hex) in [
        (&b"1844674407370955161"[..], false),
        (b"18446744073709551616", false),
        (b"fffffffffffffff", true),
        (b"10000000000000000", true),
    ] {
        let mut pipe = pipe_core::Pipe::new();
        pipe.write_all(digits).unwrap();
        let mut cursor = pipe.cursor();
        let got = if hex { cursor.hex() } else { cursor.decimal() };
        let overflows = if hex {
            u64::from_str_radix(std::str::from_utf8(digits).unwrap(), 16).is_err()
        } else {
            std::str::from_utf8(digits).unwrap().parse::<u64>().is_err()
        };
        match got {
            Err(pipe_core::ReadError::NeedMore) => assert!(!overflows, "{digits:?}"),
            Err(pipe_core::ReadError::Malformed(_)) => assert!(overflows, "{digits:?}"),
            other => panic!("{digits:?}: {other:?}"),
        }
        assert_eq!(cursor.position(), 0);
    }
}
