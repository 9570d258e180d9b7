//! [`Lines`]: the lines of a stream as a `futures_core::Stream`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;

use crate::adapter::{PollRead, ReadRequest};
use crate::error::{ReadError, read_error_of};

/// The lines of a stream as a `futures_core::Stream`: `Ok(line)` per line, then the end.
/// Dropping a pending `next()` loses nothing.
///
/// Errors never repeat, so `while let Some(line) = lines.next().await` always ends:
/// - a line over the maximum frame size yields one `InvalidData` error
///   ([`ReadError::LimitExceeded`]); that line is then dropped through its `\n` and the lines
///   after it follow (tokio-util's `LinesCodec` does the same);
/// - a partial last line (`UnexpectedEof` with the leftover, see [`read_error_of`]) or a
///   transport error is yielded once, then the stream ends (`None`).
///
/// ```
/// use futures_core::Stream;
/// use pipe_core::{AsyncPipeOptions, Lines};
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
/// let options = AsyncPipeOptions::new().max_frame(4);
/// let (mut writer, reader) = pipe_core::async_pipe::pipe_with(options)?;
/// writer.write_now(b"far too long\nok\n")?;
/// writer.complete();
/// let mut lines = Lines::new(reader, false);
/// let mut cx = Context::from_waker(Waker::noop());
/// let next = Pin::new(&mut lines).poll_next(&mut cx);
/// let Poll::Ready(Some(Err(e))) = next else { unreachable!() };
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidData); // the long line, once
/// let next = Pin::new(&mut lines).poll_next(&mut cx);
/// assert!(matches!(next, Poll::Ready(Some(Ok(line))) if line == "ok"));
/// assert!(matches!(Pin::new(&mut lines).poll_next(&mut cx), Poll::Ready(None)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Lines<T> {
    stream: T,
    with_ending: bool,
    /// What the next poll does.
    state: LinesState,
}

/// Where a [`Lines`] stream is.
#[derive(Debug)]
enum LinesState {
    /// Reading the next line.
    Reading,
    /// Dropping the rest of a line over the limit; the count carries over `Pending`.
    Discarding(usize),
    /// After the end or a fatal error: every poll is `None`.
    Done,
}

impl<T> Lines<T> {
    /// The lines of `stream`, with or without their endings.
    ///
    /// ```
    /// use futures_core::Stream;
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll, Waker};
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"hi\r\n")?;
    /// let mut lines = pipe_core::Lines::new(reader, true);
    /// let next = Pin::new(&mut lines).poll_next(&mut Context::from_waker(Waker::noop()));
    /// assert!(matches!(next, Poll::Ready(Some(Ok(line))) if line == "hi\r\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(stream: T, with_ending: bool) -> Self {
        Lines {
            stream,
            with_ending,
            state: LinesState::Reading,
        }
    }

    /// The stream, with whatever it has buffered (a line being discarded may be partly
    /// dropped).
    ///
    /// ```
    /// use futures_core::Stream;
    /// use std::pin::Pin;
    /// use std::task::{Context, Waker};
    /// let (mut writer, reader) = pipe_core::async_pipe::pipe();
    /// writer.write_now(b"one\ntwo\n")?;
    /// let mut lines = pipe_core::Lines::new(reader, false);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(Pin::new(&mut lines).poll_next(&mut cx).is_ready()); // "one"
    /// let mut reader = lines.into_inner();
    /// assert_eq!(reader.with_pipe(|pipe| pipe.read_line(false))?, "two");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> T {
        self.stream
    }
}

impl<T: PollRead + Unpin> futures_core::Stream for Lines<T> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                LinesState::Done => return Poll::Ready(None),
                LinesState::Discarding(dropped) => {
                    match ready!(this.stream.poll_discard_until(cx, b"\n", dropped)) {
                        Ok(_) => this.state = LinesState::Reading,
                        Err(e) => {
                            this.state = LinesState::Done;
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                }
                LinesState::Reading => {
                    let request = ReadRequest::Line {
                        with_ending: this.with_ending,
                    };
                    let line = ready!(this.stream.poll_read_request(cx, request));
                    return Poll::Ready(match line {
                        Ok(Some(line)) => Some(Ok(line)),
                        Ok(None) => {
                            this.state = LinesState::Done;
                            None
                        }
                        Err(e) => {
                            this.state = match read_error_of(&e) {
                                Some(ReadError::LimitExceeded { .. }) => LinesState::Discarding(0),
                                _ => LinesState::Done,
                            };
                            Some(Err(e))
                        }
                    });
                }
            }
        }
    }
}
