//! What kind of failure an error is, and the one table of the HTTP status
//! each kind is answered with.
//!
//! The services' errors (for feeds, sign-off links and plain HTTP routes) and
//! the server functions' error (which the browser also shows) both say which
//! kind they are; the status is decided here only. It lives in the domain
//! because it is the one crate both the server and the browser compile.

/// The kind of a failure, as a client needs to tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself could not be understood (a malformed body, a
    /// missing argument).
    BadRequest,
    /// Nobody is signed in, or the sign-in failed.
    Unauthenticated,
    /// Signed in, but not allowed.
    Forbidden,
    /// Unknown, or not visible to the person asking.
    NotFound,
    /// The change does not fit the current state.
    Conflict,
    /// It existed, and is used up or expired for good.
    Gone,
    /// Some fields need attention.
    Invalid,
    /// Too many attempts; wait, then try again.
    RateLimited,
    /// Our fault: logged, never explained.
    Internal,
    /// The database cannot be reached right now.
    Unavailable,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::BadRequest,
        ErrorKind::Unauthenticated,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Gone,
        ErrorKind::Invalid,
        ErrorKind::RateLimited,
        ErrorKind::Internal,
        ErrorKind::Unavailable,
    ];

    /// The HTTP status this kind of failure is answered with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Gone => 410,
            ErrorKind::Invalid => 422,
            ErrorKind::RateLimited => 429,
            ErrorKind::Internal => 500,
            ErrorKind::Unavailable => 503,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    #[test]
    fn every_kind_has_its_own_status() {
        let mut statuses: Vec<u16> = ErrorKind::ALL.iter().map(|k| k.status()).collect();
        statuses.sort_unstable();
        statuses.dedup();
        assert_eq!(statuses.len(), ErrorKind::ALL.len());
        assert!(statuses.iter().all(|s| (400..600).contains(s)));
    }
}
