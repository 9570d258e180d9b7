//! The outcomes of reads that return no frame, and the errors of writes and searches.

use std::fmt;
use std::io;
use std::sync::Arc;

use bytes::Bytes;

/// Why a read returned no frame. Apart from [`ReadError::InvalidArgument`] and
/// [`ReadError::Malformed`] (a [`Cursor`](crate::Cursor)'s parse that found bytes it cannot
/// read), every variant is one of the pipe's read outcomes (the sixth, *ready*, is `Ok`):
///
/// | outcome | when | consumed |
/// |---|---|---|
/// | [`NeedMore`](ReadError::NeedMore) | not enough buffered, write side open | nothing |
/// | [`End`](ReadError::End) | closed cleanly, nothing buffered for this read | nothing |
/// | [`Partial`](ReadError::Partial) | closed cleanly inside a frame | the leftover, handed over here |
/// | [`Stream`](ReadError::Stream) | closed with an error, not enough buffered | nothing |
/// | [`LimitExceeded`](ReadError::LimitExceeded) | the frame would pass the maximum frame size | nothing |
///
/// An empty frame is `Ok` with an empty slice, never one of these.
///
/// ```
/// use pipe_core::{Pipe, PipeOptions, ReadError};
/// let mut pipe = Pipe::with_options(PipeOptions::new().max_frame(4));
/// pipe.write_all(b"too long\n")?;
/// let err = pipe.read_line(false).unwrap_err();
/// assert!(matches!(err, ReadError::LimitExceeded { limit: 4, buffered: 9 }));
/// assert_eq!(err.to_string(), "frame longer than the limit of 4 bytes (9 bytes buffered)");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::InvalidData);
/// assert_eq!(pipe.len(), 9); // nothing consumed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// Not enough data yet and the write side is open: write more and call again.
    NeedMore,
    /// The write side closed cleanly and nothing is left for this read.
    End,
    /// The write side closed cleanly in the middle of a frame: these are the leftover bytes, now
    /// consumed. The next read reports [`ReadError::End`].
    Partial(Bytes),
    /// The write side closed with an error and this read cannot be served from what is buffered.
    /// Buffered bytes stay readable (by reads they can satisfy); every other read returns the
    /// same error.
    Stream(StreamError),
    /// The frame would be longer than `limit` bytes (separator not counted). Nothing was consumed:
    /// discard it (`Pipe::discard_until`, `Pipe::skip`) or raise the limit and read again.
    LimitExceeded {
        /// The maximum frame size in force.
        limit: usize,
        /// Bytes buffered when the limit was hit: all of them, the long frame's and any after
        /// it (the pipe's [`len`](crate::Pipe::len) at that moment).
        buffered: usize,
    },
    /// The call itself was malformed (an empty separator, `read_at_most(0)`); nothing changed.
    InvalidArgument(&'static str),
    /// The bytes do not hold what a [`Cursor`](crate::Cursor) read expected (a number without
    /// digits, one that overflows); says what was wrong. Nothing was consumed.
    Malformed(&'static str),
}

impl ReadError {
    /// Whether this is [`ReadError::NeedMore`]: the only outcome that more data can change.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"no newline yet")?;
    /// assert!(pipe.read_line(false).unwrap_err().is_need_more());
    /// pipe.write_all(b"\n")?;
    /// assert_eq!(pipe.read_line(false)?, "no newline yet");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_need_more(&self) -> bool {
        matches!(self, ReadError::NeedMore)
    }

    /// Whether this is [`ReadError::End`].
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"last\n")?;
    /// pipe.eof()?;
    /// assert_eq!(pipe.read_line(false)?, "last");
    /// let err = pipe.read_line(false).unwrap_err();
    /// assert!(err.is_end());
    /// assert_eq!(err.to_string(), "end of stream");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_end(&self) -> bool {
        matches!(self, ReadError::End)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NeedMore => f.write_str("more data is needed"),
            ReadError::End => f.write_str("end of stream"),
            ReadError::Partial(rest) => write!(
                f,
                "stream ended inside a frame with {} bytes left over",
                rest.len()
            ),
            ReadError::Stream(e) => write!(f, "stream failed: {e}"),
            ReadError::LimitExceeded { limit, buffered } => write!(
                f,
                "frame longer than the limit of {limit} bytes ({buffered} bytes buffered)"
            ),
            ReadError::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            ReadError::Malformed(why) => write!(f, "malformed input: {why}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Stream(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ReadError> for io::Error {
    /// `NeedMore` becomes `WouldBlock`; `End` and `Partial` become `UnexpectedEof`; a stream
    /// error keeps its kind; a limit and malformed input become `InvalidData`; a bad argument
    /// `InvalidInput`. The
    /// `ReadError` itself (with a partial frame's leftover) is the inner error: see
    /// [`read_error_of`].
    fn from(e: ReadError) -> io::Error {
        let kind = match &e {
            ReadError::NeedMore => io::ErrorKind::WouldBlock,
            ReadError::End | ReadError::Partial(_) => io::ErrorKind::UnexpectedEof,
            ReadError::Stream(s) => s.kind(),
            ReadError::LimitExceeded { .. } | ReadError::Malformed(_) => io::ErrorKind::InvalidData,
            ReadError::InvalidArgument(_) => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, e)
    }
}

/// The error a writer closed the pipe with (`Pipe::eof_with_error`). Cloning shares it, so every
/// read after the data runs out reports the very same error.
///
/// ```
/// use pipe_core::{Pipe, ReadError};
/// use std::io::{Error, ErrorKind};
/// let mut pipe = Pipe::new();
/// pipe.eof_with_error(Error::from(ErrorKind::ConnectionReset))?;
/// let Err(ReadError::Stream(e)) = pipe.read_line(false) else { unreachable!() };
/// assert_eq!(e.kind(), ErrorKind::ConnectionReset);
/// assert_eq!(e.to_string(), "connection reset");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct StreamError(Arc<io::Error>);

impl StreamError {
    /// Wraps an I/O error.
    ///
    /// ```
    /// let e = pipe_core::StreamError::new(std::io::Error::other("disk on fire"));
    /// assert_eq!(e.kind(), std::io::ErrorKind::Other);
    /// assert_eq!(e.to_string(), "disk on fire");
    /// ```
    pub fn new(error: io::Error) -> StreamError {
        StreamError(Arc::new(error))
    }

    /// The kind of the underlying error.
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError};
    /// use std::io::{Error, ErrorKind};
    /// let mut pipe = Pipe::new();
    /// pipe.eof_with_error(Error::from(ErrorKind::TimedOut))?;
    /// let Err(ReadError::Stream(e)) = pipe.read_exact(1) else { unreachable!() };
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        self.0.kind()
    }

    /// The underlying error.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// let e = pipe_core::StreamError::new(Error::new(ErrorKind::TimedOut, "no reply in 5 s"));
    /// let io: &Error = e.get_ref();
    /// assert_eq!(io.kind(), ErrorKind::TimedOut);
    /// assert_eq!(io.get_ref().unwrap().to_string(), "no reply in 5 s");
    /// ```
    pub fn get_ref(&self) -> &io::Error {
        &self.0
    }

    /// Whether two handles share one error (the same `eof_with_error` call).
    ///
    /// ```
    /// use pipe_core::{Pipe, ReadError, StreamError};
    /// use std::io::{Error, ErrorKind};
    /// let mut pipe = Pipe::new();
    /// pipe.eof_with_error(Error::from(ErrorKind::BrokenPipe))?;
    /// let Err(ReadError::Stream(a)) = pipe.read_line(false) else { unreachable!() };
    /// let Err(ReadError::Stream(b)) = pipe.read_exact(3) else { unreachable!() };
    /// assert!(a.same_as(&b)); // every read reports the very same error
    /// assert!(!a.same_as(&StreamError::new(Error::from(ErrorKind::BrokenPipe))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn same_as(&self, other: &StreamError) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// An `io::Error` of the same kind that carries this one as its inner error
    /// ([`get_ref`](io::Error::get_ref)); its `source` is the underlying error.
    ///
    /// ```
    /// use pipe_core::StreamError;
    /// use std::io::{Error, ErrorKind};
    /// let e = StreamError::new(Error::from(ErrorKind::ConnectionAborted));
    /// let io = e.to_io_error();
    /// assert_eq!(io.kind(), ErrorKind::ConnectionAborted);
    /// let inner = io.get_ref().and_then(|inner| inner.downcast_ref::<StreamError>());
    /// assert!(inner.is_some_and(|inner| inner.same_as(&e)));
    /// ```
    pub fn to_io_error(&self) -> io::Error {
        io::Error::new(self.kind(), self.clone())
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Why a write-side call failed. Nothing changed in the pipe.
///
/// ```
/// use pipe_core::{Pipe, WriteError};
/// let mut pipe = Pipe::new();
/// pipe.eof()?;
/// let err = pipe.write_all(b"late").unwrap_err();
/// assert_eq!(err, WriteError::Closed);
/// assert_eq!(err.to_string(), "the write side is closed");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::BrokenPipe);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The write side was closed (`eof` or `eof_with_error`).
    Closed,
    /// `buffer_written` with no buffer handed out since the last commit.
    NothingLent,
    /// The reader half of an in-process pipe completed or was dropped: nobody will read.
    ReaderGone,
    /// `buffer_written(n)` with `n` larger than the space handed out.
    Overcommit {
        /// The count passed to `buffer_written`.
        committed: usize,
        /// The space the last `get_buffer` handed out.
        lent: usize,
    },
    /// A size hint above the largest pooled chunk.
    SizeHintTooLarge {
        /// The hint passed to `get_buffer`.
        hint: usize,
        /// The largest hint accepted.
        max: usize,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Closed => f.write_str("the write side is closed"),
            WriteError::NothingLent => f.write_str("no buffer was handed out to commit"),
            WriteError::ReaderGone => f.write_str("the reader is gone"),
            WriteError::Overcommit { committed, lent } => write!(
                f,
                "committed {committed} bytes but only {lent} were handed out"
            ),
            WriteError::SizeHintTooLarge { hint, max } => {
                write!(
                    f,
                    "size hint {hint} is above the largest chunk of {max} bytes"
                )
            }
        }
    }
}

impl std::error::Error for WriteError {}

impl From<WriteError> for io::Error {
    /// `Closed` and `ReaderGone` become `BrokenPipe`; the others `InvalidInput`.
    fn from(e: WriteError) -> io::Error {
        let kind = match e {
            WriteError::Closed | WriteError::ReaderGone => io::ErrorKind::BrokenPipe,
            _ => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, e)
    }
}

/// Why `find` or `find_byte` could not search.
///
/// ```
/// use pipe_core::{FindError, Pipe};
/// let mut pipe = Pipe::new();
/// pipe.write_all(b"abc")?;
/// let err = pipe.find(b"c", 1..9).unwrap_err();
/// assert_eq!(err, FindError::InvalidRange { start: 1, end: 9, len: 3 });
/// assert_eq!(err.to_string(), "range 1..9 is not within the 3 buffered bytes");
/// assert_eq!(pipe.find_byte(b'c', 1..)?, Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FindError {
    /// The needle is empty.
    EmptyNeedle,
    /// The range is reversed or reaches past the buffered bytes.
    InvalidRange {
        /// Resolved start of the range (`usize::MAX` for `Excluded(usize::MAX)`, one past
        /// what a `usize` holds).
        start: usize,
        /// Resolved end of the range, exclusive (`usize::MAX` for `..=usize::MAX`).
        end: usize,
        /// Bytes buffered.
        len: usize,
    },
}

impl fmt::Display for FindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindError::EmptyNeedle => f.write_str("the needle is empty"),
            FindError::InvalidRange { start, end, len } => write!(
                f,
                "range {start}..{end} is not within the {len} buffered bytes"
            ),
        }
    }
}

impl std::error::Error for FindError {}

impl From<FindError> for io::Error {
    /// Of kind `InvalidInput`, the `FindError` inside: a bad needle or range is the caller's.
    ///
    /// ```
    /// let mut pipe = pipe_core::Pipe::new();
    /// pipe.write_all(b"abc")?;
    /// let err = std::io::Error::from(pipe.find(b"", ..).unwrap_err());
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn from(e: FindError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// The [`ReadError`] inside an `io::Error` returned by an async read (a partial frame's
/// leftover, a limit), if there is one. A failed stream's error has the [`StreamError`] itself
/// inside instead (`error.get_ref()` downcast to `StreamError`): `None` here.
///
/// ```
/// use pipe_core::{ReadError, adapter::into_io, read_error_of};
/// let err = into_io(Err(ReadError::Partial("left".into()))).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
/// assert!(matches!(read_error_of(&err), Some(ReadError::Partial(rest)) if rest == "left"));
/// ```
pub fn read_error_of(error: &io::Error) -> Option<&ReadError> {
    error.get_ref()?.downcast_ref::<ReadError>()
}
