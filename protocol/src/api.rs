//! Request and response bodies of the hub's v1 REST API.
