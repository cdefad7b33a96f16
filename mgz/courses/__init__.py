"""KIM (goal 26): the course catalogue, course referrals of clients, waiting lists."""
