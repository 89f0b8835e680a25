//! Errors of the predictor: bad model files, unsupported configurations, unusable crystals.

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// A configuration or metadata file that is not what the model needs.
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    /// A hyper-parameter value the port does not implement (the reference has many
    /// experimental switches; only the shipped configurations are supported).
    #[error("unsupported configuration: {0}")]
    Unsupported(String),
    /// Weights missing or of the wrong shape, or a tensor operation that failed.
    #[error("{0}")]
    Candle(#[from] candle_core::Error),
    /// A crystal the model cannot take (element beyond Z = 98, a cell so thin that the
    /// periodic image box would be enormous, ...). `index` is its position in the batch.
    #[error("crystal {index}: {message}")]
    Crystal { index: usize, message: String },
}

impl Error {
    pub fn config(path: impl std::fmt::Display, message: impl Into<String>) -> Self {
        Error::Config { path: path.to_string(), message: message.into() }
    }
}
