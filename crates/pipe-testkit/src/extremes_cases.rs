//! Each adapter's `ChunkedStream`, in-process pipe and framed types at the extremes of their
//! numeric arguments, written from the documentation alone and once for every runtime: sizes of
//! 0, 1, `usize::MAX`, `usize::MAX - 1`, `isize::MAX` and one over, maximum frames of 0 and
//! near `usize::MAX`, chunk sizes and backpressure thresholds out of range, `max_spin` of
//! `Duration::ZERO` and `Duration::MAX`, high-water marks of 0 and `usize::MAX`.
//!
//! Every call must answer (a value, an error, or `Pending` where the docs say it waits, checked
//! with one poll), never panic or hang, and the stream must still give every byte afterwards.
//! Awaits that the docs say end are guarded by a generous timeout, so a hang fails the test.
//!
//! Each adapter's `tests/extremes.rs` invokes [`extremes_tests!`](crate::extremes_tests) once per
//! runtime, with these names in scope: `adapter` (the adapter crate, `use pipe_tokio as
//! adapter;`), `async fn guarded(what: &str, fut) -> fut's output` (the runtime's timeout of
//! [`GUARD`]; panics naming `what` on a hang), `async fn read_some(stream: &mut
//! adapter::ChunkedStream<S>, buf: &mut [u8]) -> io::Result<usize>` (the runtime's
//! `AsyncReadExt::read`), `async fn tcp_pair() -> (Tcp, Tcp)` (a loopback pair of the
//! runtime's TCP streams) and `fn spawn(f) -> impl Future<Output = f's output>` (a task of its
//! own).

use std::time::Duration;

/// The sizes every size-taking call is tried with.
pub const HUGE: [usize; 4] = [
    usize::MAX,
    usize::MAX - 1,
    isize::MAX as usize,
    isize::MAX as usize + 1,
];

/// Far longer than anything here should take: only a hang reaches it.
pub const GUARD: Duration = Duration::from_secs(20);

/// What the test bodies of [`extremes_tests!`](crate::extremes_tests) name.
pub mod prelude {
    pub use std::io;
    pub use std::time::Duration;

    pub use futures_util::{FutureExt, StreamExt};

    pub use super::{GUARD, HUGE, kind};
    pub use crate::docs_framing_cases::yield_once;
}

/// The error kind of an `io::Result`.
pub fn kind<T: std::fmt::Debug>(result: std::io::Result<T>) -> std::io::ErrorKind {
    result.expect_err("an error").kind()
}

/// The extremes tests, written once: `extremes_tests!(test: (#[tokio::test]))` or
/// `extremes_tests!(test: (smol::block_on))`. See the [module](crate::extremes_cases) for the
/// names it needs in scope.
#[macro_export]
macro_rules! extremes_tests {
    (test: ($($how:tt)*)) => {
        #[allow(unused_imports)]
        use $crate::extremes_cases::prelude::*;
        // The adapters' futures-util has `Sink`; the kit's alone need not.
        use futures_util::SinkExt;
        use adapter::codec::{LengthDelimitedCodec, LinesCodec, LinesCodecError};
        use adapter::{
            AsyncPipeOptions, Bytes, ChunkedStream, DEFAULT_MAX_FRAME, FramedRead, FramedWrite,
            PipeOptions, PipeReader, PipeWriter, Pool, PoolConfig, ReadError, UNLIMITED,
            WriteError, read_error_of,
        };

        /// A stream over an in-process pipe's reader with `options`; the writer is the peer.
        fn stream_pair(options: PipeOptions) -> (ChunkedStream<PipeReader>, PipeWriter) {
            let (peer, transport) = adapter::pipe();
            (ChunkedStream::with_options(transport, options), peer)
        }

        /// A stream whose pipe holds `content` (the peer wrote it and stays open).
        async fn stream_holding(
            content: &[u8],
            options: PipeOptions,
        ) -> (ChunkedStream<PipeReader>, PipeWriter) {
            let (mut stream, mut peer) = stream_pair(options);
            peer.write_now(content).unwrap();
            while stream.buffered() < content.len() {
                guarded("fill_more", stream.fill_more()).await.unwrap();
            }
            (stream, peer)
        }

        /// The stream still gives exactly `content` ("loses nothing").
        async fn assert_intact(stream: &mut ChunkedStream<PipeReader>, content: &[u8]) {
            assert_eq!(stream.buffered(), content.len());
            if !content.is_empty() {
                let max = stream.pipe().max_frame();
                stream.pipe_mut().set_max_frame(UNLIMITED);
                let got = guarded("read_exact", stream.read_exact(content.len()))
                    .await
                    .unwrap();
                assert_eq!(got.unwrap(), content);
                stream.pipe_mut().set_max_frame(max);
            }
        }

        // -------------------------------------------------------------------------------------
        // ChunkedStream reads

        $crate::__docs_framing_case!(($($how)*) stream_huge_reads_over_the_limit_fail_at_once_and_lose_nothing {
            let (mut stream, _peer) = stream_holding(b"abc", PipeOptions::new()).await;
            for n in HUGE.into_iter().chain([DEFAULT_MAX_FRAME + 1]) {
                let read = stream.read_exact(n).now_or_never().expect("at once");
                assert_eq!(kind(read), io::ErrorKind::InvalidData, "read_exact({n})");
                let read = stream.read_exact_ref(n).now_or_never().expect("at once");
                assert!(matches!(read, Err(e) if e.kind() == io::ErrorKind::InvalidData));
                let fill = stream.fill_at_least(n).now_or_never().expect("at once");
                let err = fill.expect_err("over the limit");
                assert_eq!(err.kind(), io::ErrorKind::InvalidData);
                assert!(matches!(
                    read_error_of(&err),
                    Some(ReadError::LimitExceeded { .. })
                ));
                let peek = stream.peek(n).now_or_never().expect("bytes are buffered");
                assert_eq!(peek.unwrap().unwrap(), "abc");
            }
            let read = stream.read_at_most(0).now_or_never().expect("at once");
            assert_eq!(kind(read), io::ErrorKind::InvalidInput);
            assert_intact(&mut stream, b"abc").await;
        });

        $crate::__docs_framing_case!(($($how)*) stream_zero_sizes_answer_at_once {
            let (mut stream, peer) = stream_pair(PipeOptions::new());
            let empty = stream.read_exact(0).now_or_never().unwrap();
            assert_eq!(empty.unwrap().unwrap(), "");
            assert_eq!(stream.peek(0).now_or_never().unwrap().unwrap().unwrap(), "");
            assert!(stream.fill_at_least(0).now_or_never().unwrap().unwrap());
            assert_eq!(
                kind(stream.read_at_most(0).now_or_never().unwrap()),
                io::ErrorKind::InvalidInput
            );
            peer.complete();
            let empty = guarded("read_exact", stream.read_exact(0)).await.unwrap();
            assert_eq!(empty.unwrap(), "", "even at the end");
            assert_eq!(guarded("peek", stream.peek(0)).await.unwrap().unwrap(), "");
            let rest = guarded("read_at_most", stream.read_at_most(usize::MAX)).await;
            assert_eq!(rest.unwrap(), None);
            let mut nothing = [0u8; 0];
            assert_eq!(guarded("read", read_some(&mut stream, &mut nothing)).await.unwrap(), 0);
        });

        $crate::__docs_framing_case!(($($how)*) stream_read_at_most_huge_takes_what_is_there {
            for n in HUGE {
                let (mut stream, mut peer) = stream_holding(b"hello", PipeOptions::new()).await;
                let got = guarded("read_at_most", stream.read_at_most(n)).await;
                assert_eq!(got.unwrap().unwrap(), "hello");
                assert!(stream.read_at_most(n).now_or_never().is_none(), "waits for more");
                peer.write_now(b"!").unwrap();
                let got = guarded("read_at_most", stream.read_at_most(n)).await;
                assert_eq!(got.unwrap().unwrap(), "!");
            }
        });

        $crate::__docs_framing_case!(($($how)*) stream_unlimited_huge_reads_wait_then_end_with_the_leftover {
            for n in HUGE {
                let options = PipeOptions::new().max_frame(UNLIMITED);
                let (mut stream, mut peer) = stream_holding(b"abc", options).await;
                assert!(stream.read_exact(n).now_or_never().is_none(), "read_exact({n}) waits");
                assert!(
                    stream.read_exact_ref(n).now_or_never().is_none(),
                    "read_exact_ref({n}) waits"
                );
                assert!(
                    stream.fill_at_least(n).now_or_never().is_none(),
                    "fill_at_least({n}) waits"
                );
                assert_eq!(stream.buffered(), 3);
                peer.write_now(b"def").unwrap();
                peer.complete();
                let filled = guarded("fill_at_least", stream.fill_at_least(n)).await.unwrap();
                assert!(!filled, "the stream ended with fewer");
                assert_eq!(guarded("peek", stream.peek(n)).await.unwrap().unwrap(), "abcdef");
                let err = guarded("read_exact", stream.read_exact(n)).await.unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
                assert!(
                    matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "abcdef")
                );
            }
        });

        $crate::__docs_framing_case!(($($how)*) stream_max_frame_near_usize_max_reads_frames {
            for max in [usize::MAX - 2, usize::MAX - 1, UNLIMITED] {
                let (mut stream, mut peer) = stream_pair(PipeOptions::new().max_frame(max));
                let reader = async {
                    let line = stream.read_line(false).await.unwrap().unwrap();
                    assert_eq!(line, "abc", "max {max}");
                    let frame = stream.read_until(b"--", false).await.unwrap().unwrap();
                    assert_eq!(frame, "x");
                    let lent = stream.read_line_ref(true).await.unwrap().unwrap().to_vec();
                    assert_eq!(lent, b"y\r\n");
                    let lent = stream.read_until_ref(b"\0", false).await.unwrap().unwrap().to_vec();
                    assert_eq!(lent, b"z");
                    assert_eq!(stream.discard_until(b"##").await.unwrap(), 5);
                    let mut seen = 0;
                    while seen < 2 {
                        assert!(stream.read_lines_with(false, |_| seen += 1).await.unwrap() > 0);
                    }
                    assert_eq!(seen, 2);
                    assert_eq!(stream.read_to_end().await.unwrap(), "tail");
                };
                let writer = async {
                    for piece in [&b"a"[..], b"bc\r", b"\nx-", b"-y\r\nz\0", b"123##", b"l1\nl2\n", b"tail"] {
                        peer.write_all(piece).await.unwrap();
                        yield_once().await;
                    }
                    peer.complete();
                };
                guarded("frames", async { futures_util::join!(reader, writer) }).await;
            }
        });

        $crate::__docs_framing_case!(($($how)*) stream_max_frame_zero_only_empty_frames {
            let (mut stream, mut peer) = stream_pair(PipeOptions::new().max_frame(0));
            peer.write_now(b"\nab\n").unwrap();
            let line = guarded("read_line", stream.read_line(false)).await;
            assert_eq!(line.unwrap().unwrap(), "");
            let err = guarded("read_line", stream.read_line(false)).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            let err = stream.fill_at_least(1).now_or_never().unwrap().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert_eq!(guarded("discard", stream.discard_until(b"\n")).await.unwrap(), 3);
            peer.complete();
            assert_eq!(guarded("read_line", stream.read_line(false)).await.unwrap(), None);
        });

        $crate::__docs_framing_case!(($($how)*) stream_async_read_into_an_empty_buffer {
            let (mut stream, _peer) = stream_holding(b"abc", PipeOptions::new()).await;
            let mut nothing = [0u8; 0];
            assert_eq!(guarded("read", read_some(&mut stream, &mut nothing)).await.unwrap(), 0);
            assert_intact(&mut stream, b"abc").await;
        });

        $crate::__docs_framing_case!(($($how)*) stream_chunk_size_extremes_are_clamped {
            let pool = Pool::new(PoolConfig::new().min_chunk(64).max_chunk(4096)).unwrap();
            let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
            for chunk in [0, 1, usize::MAX, isize::MAX as usize] {
                for max in [0, 1, usize::MAX] {
                    let options = PipeOptions::new()
                        .pool(pool.clone())
                        .chunk_size(chunk)
                        .max_chunk(max)
                        .max_frame(UNLIMITED);
                    let (mut stream, mut peer) = stream_pair(options);
                    let size = stream.pipe().adaptive_chunk_size();
                    assert!((64..=4096).contains(&size), "chunk {chunk} max {max}: {size}");
                    let writer = async {
                        peer.write_all(&data).await.unwrap();
                        peer.complete();
                    };
                    let reader = async {
                        let mut out = vec![0u8; 1 << 20];
                        let mut got = Vec::new();
                        loop {
                            let n = read_some(&mut stream, &mut out).await.unwrap();
                            if n == 0 {
                                break;
                            }
                            got.extend_from_slice(&out[..n]);
                            if got.len() >= 50_000 {
                                break;
                            }
                        }
                        let rest = stream.read_to_end().await.unwrap();
                        got.extend_from_slice(&rest);
                        got
                    };
                    let ((), got) =
                        guarded("transfer", async { futures_util::join!(writer, reader) }).await;
                    assert_eq!(got, data, "chunk {chunk} max {max}");
                }
            }
        });

        // -------------------------------------------------------------------------------------
        // Framed types and codecs

        $crate::__docs_framing_case!(($($how)*) framed_write_high_water_zero_flushes_before_every_message {
            let mut sink = FramedWrite::new(ChunkedStream::new(Vec::new()), LinesCodec::new());
            sink.set_high_water(0);
            guarded("feed", sink.feed("one")).await.unwrap();
            guarded("feed", sink.feed("two")).await.unwrap();
            // The second `poll_ready` found 4 >= 0 bytes buffered: "one" went out first.
            assert!(sink.get_ref().get_ref().starts_with(b"one\n"));
            guarded("flush", SinkExt::<&str>::flush(&mut sink)).await.unwrap();
            assert_eq!(sink.get_ref().get_ref(), b"one\ntwo\n");
            assert_eq!(sink.buffered(), 0);
        });

        $crate::__docs_framing_case!(($($how)*) framed_write_high_water_extremes {
            for mark in [0, 1, usize::MAX - 1, usize::MAX] {
                let mut sink = FramedWrite::new(ChunkedStream::new(Vec::new()), LinesCodec::new());
                sink.set_high_water(mark);
                for _ in 0..100 {
                    guarded("feed", sink.feed("0123456789")).await.unwrap();
                }
                let sent = sink.get_ref().get_ref().len();
                if mark > 1100 {
                    assert_eq!(sink.buffered(), 1100, "mark {mark}");
                    assert_eq!(sent, 0, "nothing sent before the flush");
                } else {
                    assert_eq!(sent, 1089, "mark {mark}: each feed flushed the one before");
                }
                guarded("flush", SinkExt::<&str>::flush(&mut sink)).await.unwrap();
                assert_eq!(sink.get_ref().get_ref().len(), 1100, "mark {mark}");
                assert_eq!(sink.buffered(), 0);
            }
        });

        $crate::__docs_framing_case!(($($how)*) framed_both_high_water_extremes {
            for mark in [0, 1, usize::MAX - 1, usize::MAX] {
                let (a, b) = tcp_pair().await;
                let mut left = adapter::Framed::new(ChunkedStream::new(a), LinesCodec::new());
                let mut right = adapter::Framed::new(ChunkedStream::new(b), LinesCodec::new());
                left.set_high_water(mark);
                guarded("send", left.send("ping")).await.unwrap();
                assert_eq!(left.write_buffered(), 0);
                assert_eq!(guarded("next", right.next()).await.unwrap().unwrap(), "ping");
            }
        });

        $crate::__docs_framing_case!(($($how)*) framed_read_lines_codec_limits {
            for max in [0, 1, usize::MAX - 1, usize::MAX] {
                let io = &b"\nab\n\n"[..];
                let mut lines =
                    FramedRead::new(ChunkedStream::new(io), LinesCodec::new_with_max_length(max));
                let mut got = Vec::new();
                let mut errors = 0;
                while let Some(item) = guarded("next", lines.next()).await {
                    match item {
                        Ok(line) => got.push(line),
                        Err(LinesCodecError::MaxLineLengthExceeded) => errors += 1,
                        Err(e) => panic!("max {max}: {e:?}"),
                    }
                }
                if max >= 2 {
                    assert_eq!(got, ["", "ab", ""], "max {max}");
                    assert_eq!(errors, 0);
                } else {
                    assert_eq!(got, ["", ""], "max {max}");
                    assert_eq!(errors, 1);
                }
            }
        });

        $crate::__docs_framing_case!(($($how)*) framed_length_delimited_limits {
            for max in [0, 1, usize::MAX - 1, usize::MAX] {
                let codec = || LengthDelimitedCodec::builder().max_frame_length(max).new_codec();
                let mut sink = FramedWrite::new(ChunkedStream::new(Vec::new()), codec());
                let sent = guarded("send", sink.send(Bytes::from_static(b"hi"))).await;
                assert_eq!(sent.is_ok(), max >= 2, "max {max}: {sent:?}");
                let bytes = sink.get_ref().get_ref().clone();
                let io = &b"\0\0\0\0\0\0\0\x02hi"[..];
                let mut frames = FramedRead::new(ChunkedStream::new(io), codec());
                assert_eq!(guarded("next", frames.next()).await.unwrap().unwrap(), "");
                let second = guarded("next", frames.next()).await.unwrap();
                assert_eq!(second.is_ok(), max >= 2, "max {max}");
                if max >= 2 {
                    assert_eq!(bytes, b"\0\0\0\x02hi");
                } else {
                    assert!(bytes.is_empty(), "a refused message writes nothing");
                }
            }
        });

        // -------------------------------------------------------------------------------------
        // The in-process pipe

        $crate::__docs_framing_case!(($($how)*) inproc_pipe_with_pause_resume_extremes {
            let cases: [(usize, usize, bool); 7] = [
                (0, 0, false),
                (1, 0, true),
                (usize::MAX, usize::MAX, false),
                (usize::MAX, usize::MAX - 1, true),
                (usize::MAX, 0, true),
                (1, usize::MAX, false),
                (0, usize::MAX, false),
            ];
            for (pause, resume, ok) in cases {
                match adapter::pipe_with(AsyncPipeOptions::new().pause(pause).resume(resume)) {
                    Ok((mut writer, mut reader)) => {
                        assert!(ok, "pause {pause} resume {resume} accepted");
                        let write = async {
                            for _ in 0..100 {
                                writer.write_all(b"0123456789\n").await.unwrap();
                            }
                            writer.complete();
                        };
                        let read = async {
                            let mut n = 0;
                            while let Some(line) = reader.read_line(false).await.unwrap() {
                                assert_eq!(line, "0123456789");
                                n += 1;
                            }
                            n
                        };
                        let ((), n) =
                            guarded("transfer", async { futures_util::join!(write, read) }).await;
                        assert_eq!(n, 100, "pause {pause} resume {resume}");
                    }
                    Err(e) => {
                        assert!(!ok, "pause {pause} resume {resume} refused: {e}");
                        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
                    }
                }
            }
        });

        $crate::__docs_framing_case!(($($how)*) inproc_writer_size_extremes {
            let options = AsyncPipeOptions::new().pool(Pool::new(PoolConfig::new()).unwrap());
            let (mut writer, mut reader) = adapter::pipe_with(options).unwrap();
            writer.write_now(b"ab").unwrap();
            for hint in HUGE {
                assert!(matches!(writer.get_buffer(hint), Err(WriteError::SizeHintTooLarge { .. })));
            }
            assert_eq!(writer.buffer_written(usize::MAX), Err(WriteError::NothingLent));
            let lent = {
                let mut buf = writer.get_buffer(2).unwrap();
                buf[..2].copy_from_slice(b"cd");
                buf.len()
            };
            assert_eq!(
                writer.buffer_written(usize::MAX),
                Err(WriteError::Overcommit { committed: usize::MAX, lent })
            );
            writer.buffer_written(2).unwrap();
            writer.write_now(b"").unwrap();
            guarded("write_all", writer.write_all(b"")).await.unwrap();
            let mut none: [std::io::IoSlice<'_>; 0] = [];
            let mut bufs = &mut none[..];
            guarded("write_vectored_all", writer.write_vectored_all(&mut bufs)).await.unwrap();
            assert_eq!(writer.unread(), 4);
            let got = guarded("read_exact", reader.read_exact(4)).await.unwrap();
            assert_eq!(got.unwrap(), "abcd");
        });

        $crate::__docs_framing_case!(($($how)*) inproc_reader_huge_sizes {
            let (mut writer, mut reader) = adapter::pipe();
            writer.write_now(b"abc").unwrap();
            for n in HUGE {
                let read = reader.read_exact(n).now_or_never().expect("at once");
                assert_eq!(kind(read), io::ErrorKind::InvalidData, "read_exact({n})");
                let fill = reader.fill_at_least(n).now_or_never().expect("at once");
                assert_eq!(kind(fill), io::ErrorKind::InvalidData, "fill_at_least({n})");
                let peek = reader.peek(n).now_or_never().expect("bytes are buffered");
                assert_eq!(peek.unwrap().unwrap(), "abc");
            }
            assert_eq!(
                kind(reader.read_at_most(0).now_or_never().unwrap()),
                io::ErrorKind::InvalidInput
            );
            assert_eq!(reader.buffered(), 3);
            let got = guarded("read_at_most", reader.read_at_most(usize::MAX)).await;
            assert_eq!(got.unwrap().unwrap(), "abc");
        });

        $crate::__docs_framing_case!(($($how)*) inproc_unlimited_frame_huge_reads_wait_then_end {
            for n in HUGE {
                let options = AsyncPipeOptions::new().max_frame(UNLIMITED);
                let (mut writer, mut reader) = adapter::pipe_with(options).unwrap();
                writer.write_now(b"abc").unwrap();
                assert!(
                    reader.fill_at_least(n).now_or_never().is_none(),
                    "fill_at_least({n}) waits"
                );
                assert!(reader.read_exact(n).now_or_never().is_none(), "read_exact({n}) waits");
                writer.write_now(b"def").unwrap();
                writer.complete();
                assert!(!guarded("fill_at_least", reader.fill_at_least(n)).await.unwrap());
                let err = guarded("read_exact", reader.read_exact(n)).await.unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
                assert!(
                    matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "abcdef")
                );
            }
        });

        // "Frames larger than `pause` do not deadlock": the grant is up to the frame (at most
        // the maximum frame plus separator), here with no maximum.
        $crate::__docs_framing_case!(($($how)*) inproc_frame_larger_than_pause_with_unlimited_frame {
            for max in [UNLIMITED, usize::MAX - 1] {
                let options = AsyncPipeOptions::new().max_frame(max).pause(16).resume(8);
                let (mut writer, mut reader) = adapter::pipe_with(options).unwrap();
                let line = vec![b'x'; 10_000];
                let write = async {
                    writer.write_all(&line).await.unwrap();
                    writer.write_all(b"\n").await.unwrap();
                    writer.complete();
                };
                let read = async { reader.read_line(false).await.unwrap().unwrap() };
                let ((), got) =
                    guarded("long line", async { futures_util::join!(write, read) }).await;
                assert_eq!(got.len(), 10_000, "max {max}");
            }
        });

        // The writer a task of its own (another thread on a multi-threaded runtime).
        $crate::__docs_framing_case!(($($how)*) inproc_max_spin_extremes_deliver_everything {
            for spin in [Duration::ZERO, Duration::from_nanos(1), Duration::MAX] {
                let options = AsyncPipeOptions::new().max_spin(spin).pause(64).resume(32);
                let (mut writer, mut reader) = adapter::pipe_with(options).unwrap();
                let producer = spawn(async move {
                    for i in 0..2000u32 {
                        writer.write_all(format!("{i}\n").as_bytes()).await.unwrap();
                        if i % 100 == 0 {
                            yield_once().await;
                        }
                    }
                    writer.complete();
                });
                let consumer = async {
                    let mut next = 0u32;
                    while let Some(line) = reader.read_line(false).await.unwrap() {
                        assert_eq!(line, next.to_string().as_bytes());
                        next += 1;
                    }
                    next
                };
                let got = guarded("spin transfer", consumer).await;
                assert_eq!(got, 2000, "max_spin {spin:?}");
                guarded("producer", producer).await;
            }
        });

        $crate::__docs_framing_case!(($($how)*) inproc_pipe_options_chunk_extremes {
            for chunk in [0, 1, usize::MAX] {
                for max in [0, usize::MAX] {
                    let pipe = PipeOptions::new().chunk_size(chunk).max_chunk(max).max_frame(0);
                    let (mut writer, mut reader) =
                        adapter::pipe_with(AsyncPipeOptions::new().pipe(pipe)).unwrap();
                    {
                        let mut buf = writer.get_buffer(0).unwrap();
                        buf[..2].copy_from_slice(b"\nx");
                        buf.commit(2).unwrap();
                    }
                    let line = guarded("read_line", reader.read_line(false)).await;
                    assert_eq!(line.unwrap().unwrap(), "");
                    reader.set_max_frame(usize::MAX);
                    writer.complete();
                    assert_eq!(guarded("read_to_end", reader.read_to_end()).await.unwrap(), "x");
                }
            }
        });

        // `fill_at_least`, `read_exact` and `peek` for more than `pause` bytes (within the
        // maximum frame) while the writer is paused: the reader's grant lets the writer go on.
        $crate::__docs_framing_case!(($($how)*) inproc_waits_for_more_than_pause_do_not_deadlock {
            let options = AsyncPipeOptions::new().pause(4).resume(2);
            let (mut writer, mut reader) = adapter::pipe_with(options).unwrap();
            let data = vec![b'q'; 1000];
            let write = async {
                writer.write_all(&data).await.unwrap();
            };
            let read = async {
                assert!(reader.fill_at_least(1000).await.unwrap());
                assert_eq!(reader.peek(1000).await.unwrap().unwrap().len(), 1000);
                reader.read_exact(1000).await.unwrap().unwrap()
            };
            let ((), got) = guarded("fill_at_least over pause", async {
                futures_util::join!(write, read)
            })
            .await;
            assert_eq!(got.len(), 1000);
        });
    };
}
