//! pymatgen Structure.as_dict() JSON (NOT YET IMPLEMENTED: skeleton signature).
use super::ReadOptions;
use crate::crystal::{Crystal, Entry};
use crate::error::{Error, Result};
use std::io::Write;

pub fn read(_text: &str, _file: &str, _opts: &ReadOptions) -> Result<Entry> {
    Err(Error::Usage("pymatgen JSON reader not implemented yet".into()))
}

pub fn write(_crystal: &Crystal, _out: &mut dyn Write) -> std::io::Result<()> {
    Err(std::io::Error::other("pymatgen JSON writer not implemented yet"))
}
