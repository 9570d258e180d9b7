//! pipe-async-std's `ChunkedStream`, in-process pipe and framed types at the extremes of their
//! numeric arguments, written from the documentation alone, on async-std and smol: sizes of 0,
//! `usize::MAX`, `usize::MAX - 1`, `isize::MAX`, maximum frames of 0 and near `usize::MAX`,
//! backpressure thresholds out of range, `max_spin` of `Duration::ZERO` and `Duration::MAX`,
//! high-water marks of 0 and `usize::MAX`.
//!
//! Every call must answer (a value, an error, or `Pending` where the docs say it waits, checked
//! with one poll), never panic or hang, and the stream must still give every byte afterwards.
//! Awaits that the docs say end are guarded by a generous timeout.

use std::io;
use std::time::Duration;

use futures_util::io::AsyncReadExt;
use futures_util::{FutureExt, SinkExt, StreamExt};
use pipe_async_std::codec::{LengthDelimitedCodec, LinesCodec};
use pipe_async_std::{
    AsyncPipeOptions, Bytes, ChunkedStream, DEFAULT_MAX_FRAME, FramedRead, FramedWrite,
    PipeOptions, PipeReader, PipeWriter, ReadError, UNLIMITED, WriteError, read_error_of,
};

/// The sizes every size-taking call is tried with.
const HUGE: [usize; 4] = [
    usize::MAX,
    usize::MAX - 1,
    isize::MAX as usize,
    isize::MAX as usize + 1,
];

/// Far longer than anything here should take: only a hang reaches it.
const GUARD: Duration = Duration::from_secs(20);

/// Awaits `fut`, failing the test if it does not finish within [`GUARD`].
async fn guarded<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    async_std::future::timeout(GUARD, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

/// The error kind of an `io::Result`.
fn kind<T: std::fmt::Debug>(result: io::Result<T>) -> io::ErrorKind {
    result.expect_err("an error").kind()
}

/// A stream whose transport is an in-process pipe's reader; the writer is the peer.
fn stream_pair(options: PipeOptions) -> (ChunkedStream<PipeReader>, PipeWriter) {
    let (peer, transport) = pipe_async_std::pipe();
    (ChunkedStream::with_options(transport, options), peer)
}

/// A stream holding `content` (the peer wrote it and stays open).
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

#[async_std::test]
async fn stream_huge_reads_over_the_limit_fail_at_once_and_lose_nothing() {
    let (mut stream, _peer) = stream_holding(b"abc", PipeOptions::new()).await;
    for n in HUGE.into_iter().chain([DEFAULT_MAX_FRAME + 1]) {
        let read = stream.read_exact(n).now_or_never().expect("at once");
        assert_eq!(kind(read), io::ErrorKind::InvalidData, "read_exact({n})");
        let read = stream.read_exact_ref(n).now_or_never().expect("at once");
        assert!(matches!(read, Err(e) if e.kind() == io::ErrorKind::InvalidData));
        let fill = stream.fill_at_least(n).now_or_never().expect("at once");
        assert_eq!(kind(fill), io::ErrorKind::InvalidData, "fill_at_least({n})");
        let peek = stream.peek(n).now_or_never().expect("bytes are buffered");
        assert_eq!(peek.unwrap().unwrap(), "abc");
    }
    assert_eq!(
        kind(stream.read_at_most(0).now_or_never().unwrap()),
        io::ErrorKind::InvalidInput
    );
    assert_eq!(stream.buffered(), 3);
    let got = guarded("read_at_most", stream.read_at_most(usize::MAX))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, "abc");
}

#[async_std::test]
async fn stream_zero_sizes_answer_at_once() {
    let (mut stream, peer) = stream_pair(PipeOptions::new());
    assert_eq!(
        stream
            .read_exact(0)
            .now_or_never()
            .unwrap()
            .unwrap()
            .unwrap(),
        ""
    );
    assert_eq!(stream.peek(0).now_or_never().unwrap().unwrap().unwrap(), "");
    assert!(stream.fill_at_least(0).now_or_never().unwrap().unwrap());
    peer.complete();
    assert_eq!(
        guarded("read_exact", stream.read_exact(0))
            .await
            .unwrap()
            .unwrap(),
        ""
    );
    assert_eq!(
        guarded("read_at_most", stream.read_at_most(usize::MAX))
            .await
            .unwrap(),
        None
    );
    let mut empty = [0u8; 0];
    assert_eq!(
        guarded("read", AsyncReadExt::read(&mut stream, &mut empty))
            .await
            .unwrap(),
        0
    );
}

#[async_std::test]
async fn stream_unlimited_huge_reads_wait_then_end_with_the_leftover() {
    for n in HUGE {
        let options = PipeOptions::new().max_frame(UNLIMITED);
        let (mut stream, mut peer) = stream_holding(b"abc", options).await;
        assert!(
            stream.read_exact(n).now_or_never().is_none(),
            "read_exact({n}) waits"
        );
        assert!(
            stream.fill_at_least(n).now_or_never().is_none(),
            "fill_at_least({n}) waits"
        );
        peer.write_now(b"def").unwrap();
        peer.complete();
        assert!(
            !guarded("fill_at_least", stream.fill_at_least(n))
                .await
                .unwrap()
        );
        let err = guarded("read_exact", stream.read_exact(n))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "abcdef"));
    }
}

#[async_std::test]
async fn stream_max_frame_near_usize_max_reads_frames() {
    for max in [usize::MAX - 2, usize::MAX - 1, UNLIMITED] {
        let (mut stream, mut peer) = stream_pair(PipeOptions::new().max_frame(max));
        for piece in [&b"a"[..], b"bc\r", b"\nx-", b"-y\r\n", b"tail"] {
            peer.write_now(piece).unwrap();
        }
        peer.complete();
        assert_eq!(
            guarded("line", stream.read_line(false))
                .await
                .unwrap()
                .unwrap(),
            "abc"
        );
        assert_eq!(
            guarded("until", stream.read_until(b"--", false))
                .await
                .unwrap()
                .unwrap(),
            "x"
        );
        let lent = guarded("line_ref", stream.read_line_ref(true))
            .await
            .unwrap()
            .unwrap()
            .to_vec();
        assert_eq!(lent, b"y\r\n");
        assert_eq!(
            guarded("to_end", stream.read_to_end()).await.unwrap(),
            "tail",
            "max {max}"
        );
    }
}

#[async_std::test]
async fn framed_write_high_water_extremes() {
    for mark in [0, 1, usize::MAX - 1, usize::MAX] {
        let mut sink = FramedWrite::new(ChunkedStream::new(Vec::new()), LinesCodec::new());
        sink.set_high_water(mark);
        for _ in 0..100 {
            guarded("feed", sink.feed("0123456789")).await.unwrap();
        }
        if mark == usize::MAX {
            assert_eq!(sink.buffered(), 1100);
            assert!(
                sink.get_ref().get_ref().is_empty(),
                "nothing sent before the flush"
            );
        }
        if mark == 0 {
            assert!(
                sink.get_ref().get_ref().len() >= 1089,
                "each feed flushed the one before"
            );
        }
        guarded("flush", SinkExt::<&str>::flush(&mut sink))
            .await
            .unwrap();
        assert_eq!(sink.get_ref().get_ref().len(), 1100, "mark {mark}");
    }
}

#[async_std::test]
async fn framed_codec_limits() {
    for max in [0, usize::MAX - 1, usize::MAX] {
        let io = futures_util::io::Cursor::new(b"\0\0\0\0\0\0\0\x02hi".to_vec());
        let codec = LengthDelimitedCodec::builder()
            .max_frame_length(max)
            .new_codec();
        let mut frames = FramedRead::new(ChunkedStream::new(io), codec);
        assert_eq!(guarded("next", frames.next()).await.unwrap().unwrap(), "");
        let second = guarded("next", frames.next()).await.unwrap();
        assert_eq!(second.is_ok(), max >= 2, "max {max}");
        let mut sink = FramedWrite::new(
            ChunkedStream::new(Vec::new()),
            LengthDelimitedCodec::builder()
                .max_frame_length(max)
                .new_codec(),
        );
        let sent = guarded("send", sink.send(Bytes::from_static(b"hi"))).await;
        assert_eq!(sent.is_ok(), max >= 2);
    }
}

#[async_std::test]
async fn inproc_extremes() {
    assert!(pipe_async_std::pipe_with(AsyncPipeOptions::new().pause(0).resume(0)).is_err());
    let err =
        pipe_async_std::pipe_with(AsyncPipeOptions::new().pause(usize::MAX).resume(usize::MAX))
            .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let options = AsyncPipeOptions::new()
        .pause(usize::MAX)
        .resume(usize::MAX - 1);
    let (mut writer, mut reader) = pipe_async_std::pipe_with(options).unwrap();
    writer.write_now(b"abc").unwrap();
    for n in HUGE {
        assert!(matches!(
            writer.get_buffer(n),
            Err(WriteError::SizeHintTooLarge { .. })
        ));
        assert_eq!(
            kind(reader.read_exact(n).now_or_never().unwrap()),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            kind(reader.fill_at_least(n).now_or_never().unwrap()),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            reader.peek(n).now_or_never().unwrap().unwrap().unwrap(),
            "abc"
        );
    }
    assert_eq!(
        writer.buffer_written(usize::MAX),
        Err(WriteError::NothingLent)
    );
    let lent = writer.get_buffer(1).unwrap().len();
    assert_eq!(
        writer.buffer_written(usize::MAX),
        Err(WriteError::Overcommit {
            committed: usize::MAX,
            lent
        })
    );
    assert_eq!(
        kind(reader.read_at_most(0).now_or_never().unwrap()),
        io::ErrorKind::InvalidInput
    );
    assert_eq!(
        guarded("read_exact", reader.read_exact(3))
            .await
            .unwrap()
            .unwrap(),
        "abc"
    );
}

/// A transfer of 2000 lines through an in-process pipe with `max_spin`, on one executor.
async fn spin_transfer(spin: Duration) {
    let options = AsyncPipeOptions::new().max_spin(spin).pause(64).resume(32);
    let (mut writer, mut reader) = pipe_async_std::pipe_with(options).unwrap();
    let write = async move {
        for i in 0..2000u32 {
            writer.write_all(format!("{i}\n").as_bytes()).await.unwrap();
        }
        writer.complete();
    };
    let read = async {
        let mut next = 0u32;
        while let Some(line) = reader.read_line(false).await.unwrap() {
            assert_eq!(line, next.to_string().as_bytes());
            next += 1;
        }
        next
    };
    let ((), got) = futures_util::join!(write, read);
    assert_eq!(got, 2000, "max_spin {spin:?}");
}

#[async_std::test]
async fn inproc_max_spin_extremes_on_async_std() {
    for spin in [Duration::ZERO, Duration::from_nanos(1), Duration::MAX] {
        guarded("spin transfer", spin_transfer(spin)).await;
    }
}

#[test]
fn inproc_max_spin_extremes_on_smol() {
    smol::block_on(async {
        for spin in [Duration::ZERO, Duration::MAX] {
            guarded("spin transfer", spin_transfer(spin)).await;
        }
    });
}
