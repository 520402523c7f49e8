"""Pure business rules and types. Imports only the standard library and pydantic."""
