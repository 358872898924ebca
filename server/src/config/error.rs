use std::fmt;

/// A configuration value that cannot be used. Its text is the one line start-up prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key, e.g. `server.addr`.
    pub key: String,
    /// The offending value, unless it is a secret.
    pub value: Option<String>,
    /// What is allowed instead.
    pub expected: String,
}

impl ConfigError {
    pub fn new(key: &str, value: Option<&str>, expected: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            value: value.map(str::to_owned),
            expected: expected.into(),
        }
    }

    /// The environment variable that sets this key.
    pub fn env_name(&self) -> String {
        format!("OSP__{}", self.key.replace('.', "__").to_uppercase())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration: {} ({})",
            self.key,
            self.env_name()
        )?;
        if let Some(value) = &self.value {
            write!(f, " = {value:?}")?;
        }
        write!(f, ": {}", self.expected)
    }
}

impl std::error::Error for ConfigError {}
