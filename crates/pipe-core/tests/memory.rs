//! Where the bytes live: zero-copy frames, lent frames, sealed chunks, chunks going back to the
//! pool, the adaptive chunk size, vectored views and the `std::io` traits.

mod common;

use std::io::{BufRead, IoSlice, Read, Write};

use common::{contents, finish, pipe, pipe_with_chunks};

#[test]
fn a_frame_within_one_chunk_shares_the_chunk() {
    let (mut p, pool) = pipe_with_chunks(4096, 1 << 20);
    p.write_all(&[b'a'; 4096]).unwrap(); // fills the first chunk
    p.write_all(b"\n").unwrap();
    let first = p.read_exact(100).unwrap();
    let base = first.as_ptr();
    let second = p.read_exact(100).unwrap();
    assert_eq!(
        second.as_ptr(),
        base.wrapping_add(100),
        "a slice of the same chunk"
    );
    p.skip(usize::MAX);
    // The pipe holds nothing; the frames keep their chunk out of the pool until they drop.
    assert_eq!(pool.stats().outstanding_chunks, 1);
    drop(first);
    assert_eq!(pool.stats().outstanding_chunks, 1);
    drop(second);
    finish(p, &pool);
}

#[test]
fn a_shared_chunk_is_never_written_again() {
    let (mut p, pool) = pipe_with_chunks(4096, 1 << 20);
    p.write_all(b"one\n").unwrap();
    let line = p.read_line(true).unwrap(); // shares the chunk that has free space left
    p.write_all(b"two\n").unwrap();
    let chunks_in_use = pool.stats().outstanding_chunks;
    assert_eq!(chunks_in_use, 2, "new data went to a fresh chunk");
    assert_eq!(line, "one\n");
    assert_eq!(p.read_line(true).unwrap(), "two\n");
    assert_eq!(line, "one\n");
    drop(line);
    finish(p, &pool);
}

#[test]
fn a_frame_across_chunks_is_copied_once() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    let data: Vec<u8> = (0..200u8).collect();
    p.write_all(&data).unwrap();
    let frame = p.read_exact(200).unwrap();
    assert_eq!(frame, &data[..]);
    assert_eq!(
        pool.stats().outstanding_chunks,
        0,
        "chunks went back at once"
    );
    drop(frame);
    finish(p, &pool);
}

#[test]
fn lent_frames_release_their_chunk_at_the_next_call() {
    let (mut p, pool) = pipe_with_chunks(4096, 1 << 20);
    p.write_all(b"only line\n").unwrap();
    assert_eq!(p.read_line_ref(false).unwrap(), b"only line");
    assert_eq!(pool.stats().outstanding_chunks, 1, "lent from the chunk");
    assert!(p.read_line_ref(false).unwrap_err().is_need_more());
    assert_eq!(
        pool.stats().outstanding_chunks,
        0,
        "released by the next call"
    );
    finish(p, &pool);
}

#[test]
fn lent_frames_of_sealed_chunks_and_straddling_frames() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    p.write_all(&[b'x'; 60]).unwrap();
    p.write_all(b"ab\ncdefgh\n").unwrap(); // "ab\n" ends on the boundary; "cdefgh\n" straddles
    let head = p.peek(3).unwrap(); // seals the first chunk
    assert_eq!(p.read_exact_ref(60).unwrap(), &[b'x'; 60][..]);
    assert_eq!(p.read_line_ref(true).unwrap(), b"ab\n");
    assert_eq!(p.read_line_ref(false).unwrap(), b"cdefgh");
    drop(head);
    finish(p, &pool);
}

#[test]
fn an_idle_pipe_holds_no_chunk() {
    let (mut p, pool) = pipe();
    for _ in 0..3 {
        let buf = p.get_buffer(0).unwrap();
        buf[..6].copy_from_slice(b"hello\n");
        p.buffer_written(6).unwrap();
        let line = p.read_line(true).unwrap();
        assert_eq!(line, "hello\n");
        assert_eq!(
            pool.stats().outstanding_chunks,
            1,
            "the line shares the chunk"
        );
        drop(line);
        assert_eq!(pool.stats().outstanding_chunks, 0, "the pipe holds nothing");
    }
    assert!(p.read_line(true).unwrap_err().is_need_more());
    assert_eq!(pool.stats().outstanding_chunks, 0);
    // A loan that commits nothing gives its chunk back too.
    p.get_buffer(0).unwrap();
    p.buffer_written(0).unwrap();
    assert_eq!(pool.stats().outstanding_chunks, 0);
    finish(p, &pool);
}

#[test]
fn the_adaptive_chunk_size_grows_and_shrinks() {
    let (mut p, pool) = pipe();
    let start = p.adaptive_chunk_size();
    assert_eq!(start, 16 * 1024);
    // Writers that fill whole chunks: the size doubles up to its maximum.
    for _ in 0..10 {
        let n = p.get_buffer(0).unwrap().len();
        p.buffer_written(n).unwrap();
        p.skip(usize::MAX);
    }
    assert_eq!(p.adaptive_chunk_size(), 256 * 1024);
    // A run of small writes: it halves, down to the pool's smallest chunk.
    for _ in 0..200 {
        p.get_buffer(0).unwrap();
        p.buffer_written(10).unwrap();
        p.skip(usize::MAX);
    }
    assert_eq!(p.adaptive_chunk_size(), pool.min_chunk());
    finish(p, &pool);
}

#[test]
fn get_buffer_reuses_the_rest_of_the_last_chunk() {
    let (mut p, pool) = pipe_with_chunks(4096, 1 << 20);
    let first = p.get_buffer(10).unwrap().len();
    assert_eq!(first, 4096);
    p.buffer_written(10).unwrap();
    assert_eq!(p.get_buffer(10).unwrap().len(), 4086);
    p.buffer_written(0).unwrap();
    assert_eq!(
        p.get_buffer(5000).unwrap().len(),
        8192,
        "too small: a fresh chunk"
    );
    p.buffer_written(0).unwrap();
    assert_eq!(
        pool.stats().outstanding_chunks,
        2,
        "the 10 bytes keep the first"
    );
    finish(p, &pool);
}

#[test]
fn vectored_views_forward_without_copying() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
    p.write_all(&data).unwrap();
    let mut views = [IoSlice::new(&[]); 3];
    assert_eq!(p.io_slices(&mut views), 3, "limited by the room given");
    let mut views = [IoSlice::new(&[]); 16];
    let n = p.io_slices(&mut views);
    assert_eq!(n, 5);
    let mut sink = Vec::new();
    for v in &views[..n] {
        sink.extend_from_slice(v);
    }
    assert_eq!(sink, data);
    let mut out = Vec::new();
    let written = out.write_vectored(&views[..n]).unwrap();
    assert_eq!(p.skip(written), written);
    finish(p, &pool);
}

#[test]
fn std_io_read_bufread_and_write() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    writeln!(p, "first line").unwrap();
    p.write_all(&[b'z'; 100]).unwrap();
    p.write_all(b"\nlast").unwrap();
    p.flush().unwrap();
    let all = contents(&p);
    assert_eq!(p.fill_buf().unwrap(), &all[..64]);
    let mut line = String::new();
    BufRead::read_line(&mut p, &mut line).unwrap(); // the inherent read_line shadows it
    assert_eq!(line, "first line\n");
    let mut rest = Vec::new();
    assert_eq!(
        p.read_to_end(&mut rest).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "a pipe never blocks: open and empty is WouldBlock"
    );
    assert!(rest.is_empty(), "nothing consumed unless it completes");
    assert_eq!(p.len(), 105);
    p.write_all(b" more").unwrap();
    p.eof().unwrap();
    let mut tail = String::new();
    p.read_to_string(&mut tail).unwrap();
    assert_eq!(tail, format!("{}\nlast more", "z".repeat(100)));
    assert_eq!(p.fill_buf().unwrap(), b"");
    finish(p, &pool);
}

#[test]
fn chunks_lists_buffered_bytes_in_order() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    p.write_all(&[7; 130]).unwrap();
    let sizes: Vec<usize> = p.chunks().map(<[u8]>::len).collect();
    assert_eq!(sizes, [64, 64, 2]);
    p.skip(64);
    let sizes: Vec<usize> = p.chunks().map(<[u8]>::len).collect();
    assert_eq!(sizes, [64, 2]);
    finish(p, &pool);
}

#[test]
fn the_pipe_moves_between_threads() {
    let (mut p, pool) = pipe();
    p.write_all(b"sent\n").unwrap();
    let p = std::thread::spawn(move || {
        let mut p = p;
        assert_eq!(p.read_line(false).unwrap(), "sent");
        p
    });
    let p = p.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
    finish(p, &pool);
}

#[test]
fn reads_between_get_buffer_and_commit_keep_the_loan() {
    let (mut p, pool) = pipe_with_chunks(64, 1 << 20);
    p.write_all(&[b'a'; 100]).unwrap();
    p.write_all(b"\n").unwrap();
    let buf = p.get_buffer(10).unwrap();
    buf[..3].copy_from_slice(b"xyz");
    // Drain everything committed, with every kind of read, while the loan is out.
    assert_eq!(p.read_line(false).unwrap().len(), 100);
    assert!(p.read_line_ref(false).unwrap_err().is_need_more());
    assert!(p.read_at_most(5).unwrap_err().is_need_more());
    assert_eq!(p.skip(10), 0);
    p.buffer_written(3).unwrap();
    assert_eq!(p.read_exact(3).unwrap(), "xyz");
    // The same with the loan in a chunk of its own.
    let buf = p.get_buffer(64).unwrap();
    buf[..2].copy_from_slice(b"ok");
    assert!(p.peek(1).unwrap_err().is_need_more());
    p.buffer_written(2).unwrap();
    assert_eq!(p.read_at_most(10).unwrap(), "ok");
    finish(p, &pool);
}

/// A frame `read_exact` waits for lands in one chunk whatever the pieces it arrives in (one
/// under, at and one over the chunk size, and several chunks long), so it is taken as a slice
/// of that chunk, not copied together; frames over the pool's largest chunk still arrive whole.
#[test]
fn an_awaited_frame_lands_in_one_chunk() {
    for n in [4095, 4096, 4097, 10_000] {
        for piece in [1, 1000, 4096] {
            let (mut p, pool) = pipe_with_chunks(4096, 1 << 20);
            p.write_all(&[b'h'; 100]).unwrap();
            assert_eq!(p.read_exact(100).unwrap(), &[b'h'; 100][..]);
            let frame: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            for part in frame.chunks(piece) {
                assert!(matches!(
                    p.read_exact(n),
                    Err(pipe_core::ReadError::NeedMore)
                ));
                common::feed(&mut p, part, piece);
            }
            assert_eq!(p.chunks().count(), 1, "{n} bytes in {piece}-byte pieces");
            let got = p.read_exact(n).unwrap();
            assert_eq!(got, frame);
            drop(got);
            finish(p, &pool);
        }
    }
    let (mut p, pool) = pipe_with_chunks(4096, pipe_core::UNLIMITED);
    let big = vec![7u8; (1 << 20) + 1]; // over the pool's largest chunk
    for part in big.chunks(64 << 10) {
        assert!(p.read_exact(big.len()).is_err());
        common::feed(&mut p, part, 64 << 10);
    }
    assert_eq!(p.read_exact(big.len()).unwrap(), big);
    finish(p, &pool);
}

/// `reserve_frame` is a hint for the frame at the front as it is now: once anything is
/// consumed it lapses, and writes go where they would have gone.
#[test]
fn a_frame_reservation_lapses_when_bytes_are_consumed() {
    let (mut p, pool) = pipe_with_chunks(4096, 1 << 20);
    p.write_all(&[1u8; 3000]).unwrap();
    p.reserve_frame(5000);
    assert_eq!(p.skip(10), 10);
    p.write_all(&[2u8; 3000]).unwrap();
    assert_eq!(p.chunks().count(), 2, "no move for a lapsed hint");
    p.reserve_frame(5991);
    p.write_all(&[3u8; 1]).unwrap();
    assert_eq!(
        p.chunks().count(),
        1,
        "moved into one chunk with room for the frame"
    );
    let mut want = vec![1u8; 2990];
    want.extend_from_slice(&[2u8; 3000]);
    want.push(3);
    assert_eq!(contents(&p), want);
    // A frame that already fits, or is already here, moves nothing.
    p.reserve_frame(100);
    p.write_all(&[4u8; 1]).unwrap();
    assert_eq!(p.chunks().count(), 1);
    assert_eq!(p.read_exact(5992).unwrap().len(), 5992);
    finish(p, &pool);
}

/// Polls `fut` until it is ready (the scripted transport needs no wake-ups).
fn run<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// A stream that keeps receiving requests reuses the chunk the last request emptied (one pool
/// acquisition per request, not two), and one that finds nothing gives it back: an idle
/// stream holds no chunk.
#[test]
fn a_busy_stream_reuses_its_chunk_and_an_idle_one_holds_none() {
    let pool = common::tiny_pool();
    let requests = 50;
    let mut script = Vec::new();
    for i in 0..requests {
        script.push(Step::Pending);
        script.push(Step::Data(vec![i as u8; 100]));
    }
    let mut s = faulty(&pool, script);
    for i in 0..requests {
        assert_eq!(run(pipe_core::adapter::fill_more(&mut s)).unwrap(), 100);
        assert_eq!(s.pipe.read_exact_ref(100).unwrap(), &[i as u8; 100][..]);
        // Consumed: kept for the next fill, not yet given back.
        assert_eq!(pool.stats().outstanding_chunks, 1, "request {i}");
    }
    let stats = pool.stats();
    // One a request, and one for the very first wait (without the spare: two a request).
    assert_eq!(stats.acquired, requests as u64 + 1, "{stats:?}");
    // The end: everything goes back.
    assert_eq!(run(pipe_core::adapter::fill_more(&mut s)).unwrap(), 0);
    assert_eq!(pool.stats().outstanding_chunks, 0);

    // Idle: a poll that finds nothing gives the chunk back.
    let mut s = faulty(&pool, [Step::Data(vec![1u8; 10]), Step::Pending]);
    assert_eq!(run(pipe_core::adapter::fill_more(&mut s)).unwrap(), 10);
    s.pipe.skip(10);
    let mut idle = std::pin::pin!(pipe_core::adapter::fill_more(&mut s));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(idle.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        pool.stats().outstanding_chunks,
        0,
        "an idle stream holds no chunk"
    );
}

/// One poll of a [`Faulty`] transport (a transport for the adapter kit whose polls follow a
/// script; the scripted transport needs no wake-ups, see [`run`]).
enum Step {
    Pending,
    Data(Vec<u8>),
    /// Reports this many bytes read, whatever the buffer's size (a transport that lies).
    Claim(usize),
    Fail(std::io::ErrorKind),
}

/// A transport whose polls follow a script of [`Step`]s; the end of the script is the end of
/// the stream.
struct Faulty {
    pipe: pipe_core::Pipe,
    script: std::collections::VecDeque<Step>,
}

impl pipe_core::adapter::PollRead for Faulty {
    fn with_parts<R>(
        &mut self,
        f: impl FnOnce(&mut pipe_core::Pipe, &mut pipe_core::adapter::FillFn<'_>) -> R,
    ) -> R {
        use std::task::Poll;
        let script = &mut self.script;
        f(
            &mut self.pipe,
            &mut pipe_core::adapter::from_transport(|_cx, buf| match script.pop_front() {
                Some(Step::Pending) => Poll::Pending,
                Some(Step::Data(data)) => {
                    buf[..data.len()].copy_from_slice(&data);
                    Poll::Ready(Ok(data.len()))
                }
                Some(Step::Claim(n)) => Poll::Ready(Ok(n)),
                Some(Step::Fail(kind)) => Poll::Ready(Err(kind.into())),
                None => Poll::Ready(Ok(0)),
            }),
        )
    }
}

fn faulty(pool: &pipe_core::Pool, script: impl IntoIterator<Item = Step>) -> Faulty {
    Faulty {
        pipe: pipe_core::Pipe::with_options(pipe_core::PipeOptions::new().pool(pool.clone())),
        script: script.into_iter().collect(),
    }
}

/// The fill of an empty pipe (which reads straight into a chunk taken out of the pipe) and the
/// fill of a pipe holding bytes take a misbehaving transport the same way: `Interrupted` is
/// retried, `WouldBlock` and `Pending` wait without holding a chunk, a read that claims more
/// bytes than it was given and an error both end the stream with an error after the bytes
/// before them, and every chunk goes back.
#[test]
fn fills_of_an_empty_pipe_and_of_a_busy_one_take_faults_alike() {
    use std::io::ErrorKind::{ConnectionReset, Interrupted, InvalidData, WouldBlock};
    use std::task::{Context, Waker};
    let pool = common::tiny_pool();
    let mut cx = Context::from_waker(Waker::noop());
    for busy in [false, true] {
        // Interrupted, then bytes: one fill, no error.
        let first: &'static [u8] = if busy { b"a" } else { b"" };
        let mut script = vec![];
        if busy {
            script.push(Step::Data(first.to_vec()));
        }
        script.extend([Step::Fail(Interrupted), Step::Data(b"line\n".to_vec())]);
        let mut s = faulty(&pool, script);
        if busy {
            assert_eq!(run(pipe_core::adapter::fill_more(&mut s)).unwrap(), 1);
        }
        let line = run(pipe_core::adapter::read_line(&mut s, false)).unwrap();
        assert_eq!(line.unwrap(), [first, b"line"].concat(), "busy {busy}");
        assert_eq!(
            run(pipe_core::adapter::read_line(&mut s, false)).unwrap(),
            None
        );
        drop(s);
        assert_eq!(pool.stats().outstanding_chunks, 0, "busy {busy}");

        // WouldBlock and Pending: the read waits, holding only what it buffered.
        for step in [Step::Fail(WouldBlock), Step::Pending] {
            let mut script = vec![];
            if busy {
                script.push(Step::Data(first.to_vec()));
            }
            script.extend([step, Step::Data(b"x\n".to_vec())]);
            let mut s = faulty(&pool, script);
            {
                let mut read = std::pin::pin!(pipe_core::adapter::read_line(&mut s, true));
                let poll = read.as_mut().poll(&mut cx);
                assert!(
                    poll.is_pending(),
                    "busy {busy}: a line before the transport was ready"
                );
                let held = pool.stats().outstanding_chunks;
                assert_eq!(
                    held,
                    u64::from(busy),
                    "busy {busy}: only buffered bytes hold a chunk"
                );
                let line = run(read).unwrap().unwrap();
                assert_eq!(line, [first, b"x\n"].concat());
            }
            drop(s);
            assert_eq!(pool.stats().outstanding_chunks, 0, "busy {busy}");
        }

        // A read that claims more than it was given, and a failed read: an error after the
        // bytes before it, every time it is asked again; nothing panics.
        for (step, kind) in [
            (Step::Claim(usize::MAX), InvalidData),
            (Step::Fail(ConnectionReset), ConnectionReset),
        ] {
            let mut script = vec![];
            if busy {
                script.push(Step::Data(b"ok\n".to_vec()));
            }
            script.push(step);
            let mut s = faulty(&pool, script);
            if busy {
                let line = run(pipe_core::adapter::read_line(&mut s, false)).unwrap();
                assert_eq!(line.unwrap(), "ok");
            }
            for _ in 0..3 {
                let err = run(pipe_core::adapter::read_line(&mut s, false)).unwrap_err();
                assert_eq!(err.kind(), kind, "busy {busy}");
            }
            let err = run(pipe_core::adapter::fill_more(&mut s)).unwrap_err();
            assert_eq!(err.kind(), kind);
            drop(s);
            assert_eq!(pool.stats().outstanding_chunks, 0, "busy {busy}");
        }
    }
}

/// A frame of `n` bytes of a repeating pattern (no `\r` or `\n` in it).
fn long_body(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 23) as u8).collect()
}

/// A delimited frame longer than 256 KiB that arrives in pieces, with a read after each, ends
/// up in one piece of memory and is taken from it: whole, unchanged, and followed by the next
/// frame. At the sizes around the threshold (one under, at, one over) and in 1-byte, 1000-byte
/// and 64 KiB pieces; owned and lent reads; written with `write_all` and through loans.
#[test]
fn a_long_frame_arriving_in_pieces_is_taken_whole_from_one_piece() {
    let threshold = 256 * 1024;
    for (len, piece) in [
        (threshold - 1, 1000),
        (threshold, 1000),
        (threshold + 1, 1000),
        (threshold + 1, 1),
        (3 << 20, 65536),
    ] {
        for (lent, loans) in [(false, false), (true, false), (false, true)] {
            let (mut p, pool) = pipe();
            let mut data = long_body(len);
            data.extend_from_slice(b"\r\nnext\r\n");
            let mut got = None;
            for part in data.chunks(piece) {
                if loans {
                    let buf = p.get_buffer(0).unwrap();
                    let k = buf.len().min(part.len());
                    buf[..k].copy_from_slice(&part[..k]);
                    p.buffer_written(k).unwrap();
                    p.write_all(&part[k..]).unwrap();
                } else {
                    p.write_all(part).unwrap();
                }
                if got.is_none() {
                    // Everything of a frame that went on arriving past the threshold is here:
                    // it lies in one piece (one just over it may be found before it grows).
                    if len >= threshold + 2 * piece && p.len() > len + 2 {
                        assert_eq!(p.chunks().count(), 1, "len {len}, pieces of {piece}");
                    }
                    let frame = if lent {
                        p.read_until_ref(b"\r\n", false).map(<[u8]>::to_vec)
                    } else {
                        p.read_until(b"\r\n", false).map(|b| b.to_vec())
                    };
                    match frame {
                        Ok(frame) => got = Some(frame),
                        Err(pipe_core::ReadError::NeedMore) => {}
                        Err(e) => panic!("len {len}, pieces of {piece}: {e:?}"),
                    }
                }
            }
            let frame = got.expect("the frame was read");
            assert!(frame == data[..len], "len {len}, pieces of {piece}");
            assert_eq!(p.read_until(b"\r\n", false).unwrap(), "next");
            finish(p, &pool);
        }
    }
}

/// The frame limit holds for long frames as for short ones: a frame of `max_frame` bytes is
/// taken, one more byte gives `LimitExceeded` with at most the limit and the ending buffered,
/// and `discard_until` then lets the next frame through.
#[test]
fn long_frames_meet_the_limit_one_under_at_and_one_over() {
    let limit = 300 * 1024;
    for len in [limit - 1, limit, limit + 1] {
        let (mut p, pool) = pipe();
        p.set_max_frame(limit);
        let mut data = long_body(len);
        data.extend_from_slice(b"\r\nnext\r\n");
        let mut outcome = None;
        for part in data.chunks(4096) {
            p.write_all(part).unwrap();
            if outcome.is_none() {
                match p.read_line(false) {
                    Err(pipe_core::ReadError::NeedMore) => {}
                    other => outcome = Some(other),
                }
            }
        }
        match outcome.expect("an outcome") {
            Ok(line) => {
                assert!(len <= limit, "len {len}");
                assert!(line == data[..len]);
            }
            Err(pipe_core::ReadError::LimitExceeded { limit: l, buffered }) => {
                assert!(len > limit, "len {len}");
                assert_eq!(l, limit);
                assert!(buffered <= limit + 2 + 4096, "buffered {buffered}");
                assert_eq!(
                    p.discard_until(b"\n").unwrap(),
                    pipe_core::Discarded::Found(len + 2)
                );
            }
            Err(e) => panic!("len {len}: {e:?}"),
        }
        assert_eq!(p.read_line(false).unwrap(), "next");
        finish(p, &pool);
    }
}

/// One write larger than the pool's largest chunk is copied once into memory of its own, and a
/// frame inside it is then taken without another copy; so is an exact read of a body larger
/// than the largest chunk that arrives in pieces.
#[test]
fn large_writes_and_large_exact_reads_come_out_in_one_piece() {
    let (mut p, pool) = pipe();
    let body = long_body(3 << 20);
    p.write_all(&body).unwrap();
    p.write_all(b"\n").unwrap();
    assert_eq!(p.chunks().next().map(<[u8]>::len), Some(3 << 20));
    let line = p.read_line(false).unwrap();
    assert!(line == body);
    drop(line);
    finish(p, &pool);

    let (mut p, pool) = pipe();
    let mut taken = None;
    for part in body.chunks(100_000) {
        p.write_all(part).unwrap();
        match p.read_exact(body.len()) {
            Ok(b) => taken = Some(b),
            Err(pipe_core::ReadError::NeedMore) => {
                assert!(p.chunks().count() <= 2, "{} pieces", p.chunks().count());
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(taken.expect("the body") == body);
    finish(p, &pool);
}

/// A long frame still growing when the stream ends: after a clean end the whole unfinished
/// frame comes back as `Partial` (then `End`), after a failed one the error comes every time
/// with the bytes still buffered; every chunk goes back either way.
#[test]
fn a_long_frame_cut_short_by_the_end_or_an_error_loses_nothing() {
    for failed in [false, true] {
        let (mut p, pool) = pipe();
        let body = long_body(600 * 1024);
        for part in body.chunks(4096) {
            p.write_all(part).unwrap();
            assert!(matches!(
                p.read_until(b"\r\n", false),
                Err(pipe_core::ReadError::NeedMore)
            ));
        }
        assert_eq!(p.chunks().count(), 1, "the frame grew in one piece");
        if failed {
            let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
            p.eof_with_error(reset).unwrap();
            for _ in 0..3 {
                match p.read_until(b"\r\n", false) {
                    Err(pipe_core::ReadError::Stream(e)) => {
                        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
                    }
                    other => panic!("{other:?}"),
                }
                assert_eq!(p.len(), body.len());
            }
        } else {
            p.eof().unwrap();
            match p.read_until(b"\r\n", false) {
                Err(pipe_core::ReadError::Partial(rest)) => assert!(rest == body),
                other => panic!("{other:?}"),
            }
            assert!(matches!(
                p.read_until(b"\r\n", false),
                Err(pipe_core::ReadError::End)
            ));
        }
        finish(p, &pool);
    }
}

/// A lending read's future polled again after it completed is an error, not a panic, and the
/// pipe goes on.
#[test]
fn a_lending_future_polled_after_completion_is_an_error() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let (mut p, pool) = pipe();
    p.write_all(b"a\nb\n").unwrap();
    let fill = pipe_core::adapter::from_transport(|_, _: &mut [u8]| Poll::Ready(Ok(0)));
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut read = std::pin::pin!(pipe_core::adapter::read_line_ref(&mut p, fill, false));
        assert!(matches!(
            read.as_mut().poll(&mut cx),
            Poll::Ready(Ok(Some(b"a")))
        ));
        match read.as_mut().poll(&mut cx) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), std::io::ErrorKind::Other, "{e}"),
            other => panic!("polled after completion: {other:?}"),
        }
    }
    assert_eq!(p.read_line_ref(false).unwrap(), b"b");
    finish(p, &pool);
}
