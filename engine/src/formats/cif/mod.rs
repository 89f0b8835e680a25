//! CIF 1.1 / 2.0 reader and writer (NOT YET IMPLEMENTED: skeleton signature).
use super::ReadOptions;
use crate::crystal::Crystal;
use crate::error::{Error, Result};
use std::io::Write;

pub fn read(_text: &str, _file: &str, _opts: &ReadOptions) -> Result<super::Records> {
    Err(Error::Usage("CIF reader not implemented yet".into()))
}

pub fn write(_crystal: &Crystal, _name: &str, _out: &mut dyn Write) -> std::io::Result<()> {
    Err(std::io::Error::other("CIF writer not implemented yet"))
}
