//! The one-byte searches look at a frame's first 64 bytes themselves while the frames found
//! lately were short, and leave the rest (and every search after a long frame) to `memchr`.
//! These tests pin what that must not change: every line read finds the same line, and the
//! frame limit is kept one under, at and one over, for lines just around those 64 bytes,
//! whatever was read before (a short line, a long one), whole or written a byte at a time.

use pipe_core::{Pipe, PipeOptions, ReadError};

/// The four ways to read one line; each gives the line without its ending, or the error.
#[derive(Clone, Copy, Debug)]
enum Form {
    Lent,
    Owned,
    Batch,
    UntilRef,
}

const FORMS: [Form; 4] = [Form::Lent, Form::Owned, Form::Batch, Form::UntilRef];

fn read_one(pipe: &mut Pipe, form: Form) -> Result<Vec<u8>, ReadError> {
    match form {
        Form::Lent => pipe.read_line_ref(false).map(<[u8]>::to_vec),
        Form::Owned => pipe.read_line(false).map(|b| b.to_vec()),
        Form::Batch => {
            // The batch form hands over every whole line it sees: the tests below buffer at
            // most one line past the one they read, and stop the batch there.
            let mut got = Vec::new();
            let mut first = true;
            pipe.read_lines_with(false, |line| {
                if first {
                    got = line.to_vec();
                    first = false;
                }
            })?;
            Ok(got)
        }
        Form::UntilRef => pipe.read_until_ref(b"\n", false).map(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            l.to_vec()
        }),
    }
}

/// A line of `len` bytes none of which is `\n` or `\r`, varying with `seed`.
fn line(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + ((i + seed) % 26) as u8).collect()
}

fn write(pipe: &mut Pipe, data: &[u8], byte_at_a_time: bool) {
    if byte_at_a_time {
        for b in data {
            pipe.write_all(std::slice::from_ref(b)).expect("open");
        }
    } else {
        pipe.write_all(data).expect("open");
    }
}

#[test]
fn a_line_around_64_bytes_after_a_short_or_a_long_one_at_its_limit() {
    for max in [62, 63, 64, 65, 66, 200] {
        for before in [0usize, 5, 63, 64, 65, 199] {
            if before > max {
                continue;
            }
            for len in [max - 1, max, max + 1] {
                for ending in [&b"\n"[..], b"\r\n"] {
                    for form in FORMS {
                        for bytewise in [false, true] {
                            let case = format!(
                                "max {max}, before {before}, len {len}, ending {ending:?}, \
                                 {form:?}, bytewise {bytewise}"
                            );
                            let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(max));
                            let first = line(before, 1);
                            let second = line(len, 2);
                            let mut data = first.clone();
                            data.push(b'\n');
                            write(&mut pipe, &data, bytewise);
                            assert_eq!(read_one(&mut pipe, form).expect("first"), first, "{case}");
                            let mut data = second.clone();
                            data.extend_from_slice(ending);
                            write(&mut pipe, &data, bytewise);
                            let got = read_one(&mut pipe, form);
                            // `read_until` counts a `\r` before the `\n` in the frame; the line
                            // reads do not.
                            let counted = match form {
                                Form::UntilRef => len + ending.len() - 1,
                                _ => len,
                            };
                            if counted <= max {
                                match got {
                                    Ok(got) => assert_eq!(got, second, "{case}"),
                                    Err(e) => panic!("{case}: {e:?}"),
                                }
                                assert!(pipe.is_empty(), "{case}");
                            } else {
                                match got {
                                    Err(ReadError::LimitExceeded { limit, buffered }) => {
                                        assert_eq!(limit, max, "{case}");
                                        assert_eq!(buffered, data.len(), "{case}");
                                    }
                                    other => panic!("{case}: {other:?}"),
                                }
                                // Nothing lost: the line is all still there.
                                assert_eq!(pipe.len(), data.len(), "{case}");
                                assert_eq!(
                                    pipe.peek(data.len()).expect("buffered"),
                                    data,
                                    "{case}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn lines_alternating_short_and_long_are_all_found() {
    // Lengths on both sides of 64 and of 16-byte blocks, in an order that switches the
    // search's way of looking back and forth.
    let lens = [
        0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 300, 2, 64, 1000, 63, 0, 129, 8, 4096, 47, 48,
    ];
    let mut data = Vec::new();
    let mut want = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        let l = line(len, i);
        data.extend_from_slice(&l);
        data.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
        want.push(l);
    }
    for form in [Form::Lent, Form::Owned, Form::UntilRef] {
        for piece in [1, 7, 64, 100, data.len()] {
            let mut pipe = Pipe::new();
            let mut got = Vec::new();
            for part in data.chunks(piece) {
                pipe.write_all(part).expect("open");
                loop {
                    match read_one(&mut pipe, form) {
                        Ok(l) => got.push(l),
                        Err(e) if e.is_need_more() => break,
                        Err(e) => panic!("{form:?} piece {piece}: {e:?}"),
                    }
                }
            }
            assert_eq!(got, want, "{form:?} piece {piece}");
        }
    }
    // The batch form, all lines in one call per write.
    for piece in [1, 7, 64, 100, data.len()] {
        let mut pipe = Pipe::new();
        let mut got = Vec::new();
        for part in data.chunks(piece) {
            pipe.write_all(part).expect("open");
            while pipe
                .read_lines_with(false, |l| got.push(l.to_vec()))
                .is_ok()
            {}
        }
        assert_eq!(got, want, "batch piece {piece}");
    }
}
