pub mod integrations;
