//! "Where is my change?": which releases contain a commit, issue or PR.

pub mod page;
