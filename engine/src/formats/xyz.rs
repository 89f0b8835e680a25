//! XYZ / extended XYZ (NOT YET IMPLEMENTED: skeleton signature).
use super::ReadOptions;
use crate::crystal::Structure;
use crate::error::{Error, Result};
use std::io::Write;

pub fn read(_text: &str, _file: &str, _opts: &ReadOptions) -> Result<super::Records> {
    Err(Error::Usage("XYZ reader not implemented yet".into()))
}

pub fn write(_structure: &Structure, _out: &mut dyn Write) -> std::io::Result<()> {
    Err(std::io::Error::other("XYZ writer not implemented yet"))
}
