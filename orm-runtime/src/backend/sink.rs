//! Where the rows of a query go while it runs: a typed vector behind an
//! object-safe trait ([`Sink`]), so the code that runs a query (lease,
//! observers, each backend's driver loop, SQLite's blocking-thread path)
//! is compiled once in this crate instead of once per row type in every
//! crate that runs queries. Only [`Rows`], the typed end (one row decoded
//! by position per call, into its vector), is instantiated per decoder;
//! the driver loops reach it through one indirect call per row.

use super::sqlite::read::Reader as SqliteReader;
use super::sqlx_driver::Reader as SqlxReader;
use crate::exec::RowDecoder;
use orm_core::row::DecodeError;
use std::any::Any;

/// Decodes rows into a vector it owns (see the module docs). One method
/// per backend reader, so each decoder is still instantiated over the
/// concrete reader and reads its cells without indirection.
pub(crate) trait Sink: Send {
    /// Decodes one SQLite row and keeps it.
    fn sqlite(&mut self, r: &mut SqliteReader<'_, '_>) -> Result<(), DecodeError>;
    /// Decodes one PostgreSQL row and keeps it.
    fn postgres(
        &mut self,
        r: &mut SqlxReader<'_, sqlx::postgres::PgRow>,
    ) -> Result<(), DecodeError>;
    /// Decodes one MySQL/MariaDB row and keeps it.
    fn mysql(&mut self, r: &mut SqlxReader<'_, sqlx::mysql::MySqlRow>) -> Result<(), DecodeError>;
    /// The rows kept.
    fn len(&self) -> usize;
    /// No rows kept.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Forgets the rows after the first `len` (a statement started again).
    fn truncate(&mut self, len: usize);
    /// An empty sink with the same decoder, for a batch decoded on
    /// another thread.
    fn fork(&self, capacity: usize) -> Box<dyn Sink>;
    /// Appends the rows of a batch made by `fork`.
    fn absorb(&mut self, batch: Box<dyn Sink>);
    /// The sink as `Any`, for the typed end to take its rows back.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// The typed end: a decoder and the rows it decoded.
pub(crate) struct Rows<D: RowDecoder> {
    decoder: D,
    pub(crate) rows: Vec<D::Output>,
}

impl<D: RowDecoder> Rows<D> {
    /// No rows yet.
    pub(crate) fn new(decoder: D, capacity: usize) -> Self {
        Rows {
            decoder,
            rows: Vec::with_capacity(capacity),
        }
    }

    /// The rows of a batch `fork` made from a `Rows<D>` (none if it is
    /// some other sink, which `fork` does not make).
    pub(crate) fn take(batch: Box<dyn Sink>) -> Vec<D::Output> {
        batch
            .into_any()
            .downcast::<Self>()
            .map(|b| b.rows)
            .unwrap_or_default()
    }
}

impl<D: RowDecoder> Sink for Rows<D> {
    fn sqlite(&mut self, r: &mut SqliteReader<'_, '_>) -> Result<(), DecodeError> {
        self.rows.push(self.decoder.decode(r)?);
        Ok(())
    }
    fn postgres(
        &mut self,
        r: &mut SqlxReader<'_, sqlx::postgres::PgRow>,
    ) -> Result<(), DecodeError> {
        self.rows.push(self.decoder.decode(r)?);
        Ok(())
    }
    fn mysql(&mut self, r: &mut SqlxReader<'_, sqlx::mysql::MySqlRow>) -> Result<(), DecodeError> {
        self.rows.push(self.decoder.decode(r)?);
        Ok(())
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn truncate(&mut self, len: usize) {
        self.rows.truncate(len);
    }
    fn fork(&self, capacity: usize) -> Box<dyn Sink> {
        Box::new(Rows::new(self.decoder.clone(), capacity))
    }
    fn absorb(&mut self, batch: Box<dyn Sink>) {
        let rows = Self::take(batch);
        if self.rows.is_empty() {
            self.rows = rows;
        } else {
            self.rows.extend(rows);
        }
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}
