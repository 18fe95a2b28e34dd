"""The shipment network: entity resolution of bill-of-lading names and the in-memory graph snapshot."""
