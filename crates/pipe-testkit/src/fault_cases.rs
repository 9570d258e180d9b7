//! The checks of a stream over the misbehaving [`Faulty`](crate::faults::Faulty) transport
//! (short reads and writes, `Pending`, `Interrupted`, `WouldBlock`, resets at random points),
//! written once for every runtime: every byte arrives once and in order, or the error surfaces;
//! no panic; the pool's chunks all come back when the stream drops. Each adapter's
//! `tests/faults.rs` invokes [`fault_tests!`](crate::fault_tests) once per runtime.

/// The test functions, one per check: `fault_tests!(test: runner)`, with a runner as
/// [`cases`](crate::cases) describes it. The including module names `ChunkedStream` and
/// `yield_now` (see [`cases`](crate::cases)).
#[macro_export]
macro_rules! fault_tests {
    (test: $test:tt) => {
        $crate::__test_fn! { $test
            /// Lines, frames and exact counts, mixed: every byte arrives once and in order.
            fn every_byte_arrives_once_and_in_order() {
                for seed in 1..40 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 300);
                    let mut s = $crate::__faulty_stream!(data.clone(), None, seed, &pool);
                    let mut got = Vec::new();
                    for turn in 0u32.. {
                        let r = match turn % 3 {
                            0 => s.read_line(true).await,
                            1 => s.read_until(b"\r-", true).await,
                            _ => s.read_exact(7).await,
                        };
                        match r {
                            Ok(Some(frame)) => got.extend_from_slice(&frame),
                            Ok(None) => break,
                            Err(e) => match $crate::cases::partial_of(&e) {
                                Some(rest) => got.extend_from_slice(rest),
                                None => panic!("seed {seed}: {e}"),
                            },
                        }
                    }
                    assert_eq!(got, data, "seed {seed}");
                    drop(s);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// A reset at a random point: every complete line before it, in order, then the
            /// error, again and again; the partial line stays buffered.
            fn an_error_surfaces_after_the_bytes_before_it() {
                for seed in 1..40 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 100);
                    let fail_at = (seed as usize * 131) % data.len();
                    let mut s = $crate::__faulty_stream!(data.clone(), Some(fail_at), seed, &pool);
                    let mut got = Vec::new();
                    let err = loop {
                        match s.read_line(true).await {
                            Ok(Some(line)) => got.extend_from_slice(&line),
                            Ok(None) => panic!("seed {seed}: a clean end before the injected error"),
                            Err(e) => break e,
                        }
                    };
                    assert_eq!(err.kind(), ::std::io::ErrorKind::ConnectionReset, "seed {seed}");
                    // Every complete line before the failure point was delivered, in order.
                    let complete = data[..fail_at]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1);
                    assert_eq!(got, &data[..complete], "seed {seed}");
                    // The partial line is still there, and the same error comes again.
                    assert_eq!(s.buffered(), fail_at - complete);
                    assert_eq!(
                        s.read_line(true).await.unwrap_err().kind(),
                        ::std::io::ErrorKind::ConnectionReset
                    );
                    drop(s);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// Line reads polled once and dropped when not ready (a cancellation) lose nothing.
            fn reads_dropped_after_one_poll_lose_nothing() {
                use $crate::cases::reexport::futures_util::FutureExt;
                for seed in 1..20 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 200);
                    let mut s = $crate::__faulty_stream!(data.clone(), None, seed, &pool);
                    let mut got = Vec::new();
                    let mut dropped = 0;
                    loop {
                        // Poll once; if not ready, drop the future and start over.
                        match s.read_line(true).now_or_never() {
                            None => {
                                dropped += 1;
                                yield_now().await;
                            }
                            Some(Ok(Some(line))) => got.extend_from_slice(&line),
                            Some(Ok(None)) => break,
                            Some(Err(e)) => panic!("seed {seed}: {e}"),
                        }
                    }
                    assert_eq!(got, data, "seed {seed}");
                    assert!(dropped > 0);
                    drop(s);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// `write_vectored_all` and `write_all` get every byte out through short writes.
            fn vectored_writes_survive_short_writes() {
                for seed in 1..40 {
                    let pool = $crate::cases::pool();
                    let mut s = $crate::__faulty_stream!(Vec::new(), None, seed, &pool);
                    let parts: Vec<Vec<u8>> =
                        (0..50u8).map(|i| vec![i; (i as usize * 7) % 23]).collect();
                    let mut slices: Vec<::std::io::IoSlice<'_>> =
                        parts.iter().map(|p| ::std::io::IoSlice::new(p)).collect();
                    s.write_vectored_all(&mut &mut slices[..]).await.unwrap();
                    s.write_all(b"end").await.unwrap();
                    let (t, pipe) = s.into_inner();
                    let want: Vec<u8> = parts.concat().into_iter().chain(*b"end").collect();
                    assert_eq!(t.written, want, "seed {seed}");
                    drop(pipe);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// One slice goes to the transport's plain `poll_write` (a `send`, which costs the
            /// kernel less than a `writev` of one slice); several go to `poll_write_vectored`,
            /// and what a short write leaves of the last slice to `poll_write` again.
            fn a_single_slice_takes_the_plain_write() {
                for seed in 1..40 {
                    let pool = $crate::cases::pool();
                    let mut s = $crate::__faulty_stream!(Vec::new(), None, seed, &pool);
                    s.write_all(b"PING\r\n").await.unwrap();
                    assert_eq!(s.get_ref().vectored_writes, 0, "seed {seed}");
                    assert!(s.get_ref().plain_writes >= 1, "seed {seed}");
                    let plain = s.get_ref().plain_writes;
                    let mut slices = [
                        ::std::io::IoSlice::new(b"SET k "),
                        ::std::io::IoSlice::new(&[b'v'; 120]),
                    ];
                    s.write_vectored_all(&mut &mut slices[..]).await.unwrap();
                    assert!(s.get_ref().vectored_writes >= 1, "seed {seed}");
                    // The budget of one write is at most 50 bytes: the 120-byte slice ends
                    // alone, in plain writes.
                    assert!(s.get_ref().plain_writes > plain, "seed {seed}");
                    let (t, pipe) = s.into_inner();
                    let mut want = b"PING\r\nSET k ".to_vec();
                    want.extend_from_slice(&[b'v'; 120]);
                    assert_eq!(t.written, want, "seed {seed}");
                    drop(pipe);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// `read_lines_with` delivers every line, awaited or (every other seed) polled once
            /// and dropped when not ready.
            fn batch_line_reads_deliver_every_line_even_when_dropped() {
                use $crate::cases::reexport::futures_util::FutureExt;
                for seed in 1..30 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 200);
                    let mut s = $crate::__faulty_stream!(data.clone(), None, seed, &pool);
                    let mut got = Vec::new();
                    loop {
                        let n = if seed % 2 == 0 {
                            match s
                                .read_lines_with(true, |l| got.extend_from_slice(l))
                                .now_or_never()
                            {
                                Some(n) => n.unwrap(),
                                None => continue,
                            }
                        } else {
                            s.read_lines_with(true, |l| got.extend_from_slice(l))
                                .await
                                .unwrap()
                        };
                        if n == 0 {
                            break;
                        }
                    }
                    assert_eq!(got, data, "seed {seed}");
                    drop(s);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// `FramedRead<LinesCodec>` over a transport reset at a random point: every complete
            /// line before it, in order, then the reset once, then the end, however often it is
            /// polled (`next()` dropped when not ready on every other seed; on every third, the
            /// stream met the reset before it was framed, all the lines still buffered).
            fn framed_lines_then_the_reset_once_then_the_end() {
                use $crate::cases::reexport::futures_util::StreamExt;
                use $crate::cases::reexport::pipe_core::codec::{LinesCodec, LinesCodecError};
                use $crate::cases::reexport::pipe_core::framed::FramedRead;
                for seed in 1..40 {
                    let pool = $crate::cases::pool();
                    let data = $crate::faults::lines(seed, 100);
                    let fail_at = (seed as usize * 131) % data.len();
                    let mut s = $crate::__faulty_stream!(data.clone(), Some(fail_at), seed, &pool);
                    if seed % 3 == 0 {
                        let e = s.fill_at_least(data.len()).await.unwrap_err();
                        assert_eq!(e.kind(), ::std::io::ErrorKind::ConnectionReset);
                        assert_eq!(s.buffered(), fail_at, "seed {seed}");
                    }
                    let mut frames = FramedRead::new(s, LinesCodec::new());
                    let mut got = Vec::new();
                    let err = loop {
                        match $crate::cases::next_item(&mut frames, seed % 2 == 0).await {
                            Some(Ok(line)) => {
                                got.extend_from_slice(&line);
                                got.push(b'\n');
                            }
                            Some(Err(e)) => break e,
                            None => panic!("seed {seed}: the end before the injected error"),
                        }
                    };
                    match err {
                        LinesCodecError::Io(e) => assert_eq!(
                            e.kind(),
                            ::std::io::ErrorKind::ConnectionReset,
                            "seed {seed}"
                        ),
                        other => panic!("seed {seed}: {other:?}"),
                    }
                    // Lines end in `\r\n` or `\n` in the input; the codec strips both.
                    let complete = data[..fail_at]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1);
                    let want: Vec<u8> = data[..complete]
                        .split_inclusive(|&b| b == b'\n')
                        .flat_map(|l| {
                            let l = l.strip_suffix(b"\n").unwrap_or(l);
                            let l = l.strip_suffix(b"\r").unwrap_or(l);
                            l.iter().copied().chain([b'\n'])
                        })
                        .collect();
                    assert_eq!(got, want, "seed {seed}");
                    for _ in 0..3 {
                        assert!(frames.next().await.is_none(), "seed {seed}: after the error");
                    }
                    drop(frames);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// A decoder error the decoder recovers from (a line over the maximum), then a
            /// transport reset before the line's end: the decoder's error, the reset once, then
            /// the end of the stream (the documented end after a transport error).
            fn framed_a_reset_right_after_a_decoder_error_ends_the_stream() {
                use $crate::cases::reexport::pipe_core::codec::{LinesCodec, LinesCodecError};
                use $crate::cases::reexport::pipe_core::framed::FramedRead;
                for seed in 1..20u64 {
                    let pool = $crate::cases::pool();
                    let data = b"ok\nfar too long a line".to_vec();
                    let s = $crate::__faulty_stream!(data, Some(20), seed, &pool);
                    let mut frames = FramedRead::new(s, LinesCodec::new_with_max_length(4));
                    let mut next = async || {
                        $crate::cases::next_item(&mut frames, seed % 2 == 0).await
                    };
                    assert!(matches!(next().await, Some(Ok(line)) if line == "ok"), "seed {seed}");
                    assert!(
                        matches!(next().await, Some(Err(LinesCodecError::MaxLineLengthExceeded))),
                        "seed {seed}"
                    );
                    match next().await {
                        Some(Err(LinesCodecError::Io(e))) => assert_eq!(
                            e.kind(),
                            ::std::io::ErrorKind::ConnectionReset,
                            "seed {seed}"
                        ),
                        other => panic!("seed {seed}: {other:?}"),
                    }
                    for _ in 0..3 {
                        assert!(next().await.is_none(), "seed {seed}: after the reset");
                    }
                    drop(frames);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }

        $crate::__test_fn! { $test
            /// `FramedRead<LengthDelimitedCodec>` over a transport reset at a random point:
            /// every whole frame before it, then the reset once (the decoder waits for the rest
            /// of a frame, so the error is the transport's, not the decoder's), then the end.
            fn framed_length_delimited_then_the_reset_once_then_the_end() {
                use $crate::cases::reexport::futures_util::StreamExt;
                use $crate::cases::reexport::pipe_core::codec::{
                    LengthDelimitedCodec, LengthDelimitedCodecError,
                };
                use $crate::cases::reexport::pipe_core::framed::FramedRead;
                for seed in 1..40u64 {
                    let pool = $crate::cases::pool();
                    let mut data = Vec::new();
                    let mut ends = Vec::new();
                    for i in 0..60u64 {
                        let len = ((seed * 7 + i * 13) % 90) as usize;
                        data.extend_from_slice(&(len as u32).to_be_bytes());
                        data.extend((0..len).map(|k| (k as u8).wrapping_add(i as u8)));
                        ends.push(data.len());
                    }
                    let fail_at = (seed as usize * 131) % data.len();
                    let mut s = $crate::__faulty_stream!(data.clone(), Some(fail_at), seed, &pool);
                    if seed % 3 == 0 {
                        let e = s.fill_at_least(data.len()).await.unwrap_err();
                        assert_eq!(e.kind(), ::std::io::ErrorKind::ConnectionReset);
                    }
                    let mut frames = FramedRead::new(s, LengthDelimitedCodec::new());
                    let mut got = 0;
                    let err = loop {
                        match $crate::cases::next_item(&mut frames, seed % 2 == 0).await {
                            Some(Ok(frame)) => {
                                let start = if got == 0 { 0 } else { ends[got - 1] };
                                assert_eq!(frame, &data[start + 4..ends[got]], "seed {seed}");
                                got += 1;
                            }
                            Some(Err(e)) => break e,
                            None => panic!("seed {seed}: the end before the injected error"),
                        }
                    };
                    match err {
                        LengthDelimitedCodecError::Io(e) => assert_eq!(
                            e.kind(),
                            ::std::io::ErrorKind::ConnectionReset,
                            "seed {seed}"
                        ),
                        other => panic!("seed {seed}: {other:?}"),
                    }
                    let whole = ends.iter().filter(|&&end| end <= fail_at).count();
                    assert_eq!(got, whole, "seed {seed}");
                    for _ in 0..3 {
                        assert!(frames.next().await.is_none(), "seed {seed}: after the error");
                    }
                    drop(frames);
                    $crate::cases::assert_balanced(&pool, &format!("seed {seed}"));
                }
            }
        }
    };
}

/// The including module's `ChunkedStream` over a [`Faulty`](crate::faults::Faulty) transport
/// delivering `$data` (failing after `$fail_at` bytes if `Some`), on `$pool`, 4 KiB chunks.
#[doc(hidden)]
#[macro_export]
macro_rules! __faulty_stream {
    ($data:expr, $fail_at:expr, $seed:expr, $pool:expr) => {
        ChunkedStream::with_options(
            $crate::faults::Faulty::new($data, $fail_at, $seed),
            $crate::cases::reexport::pipe_core::PipeOptions::new()
                .pool(::std::clone::Clone::clone($pool))
                .chunk_size(4096)
                .max_chunk(4096),
        )
    };
}
