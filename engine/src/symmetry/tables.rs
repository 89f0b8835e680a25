//! Standard space-group tables (NOT YET IMPLEMENTED).
