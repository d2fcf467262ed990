"""TicketBox: a samad-hub connector for agencies whose ticket system speaks plain JSON."""
