"""The power demo's pages (issue 10): the station dashboard, the 台区 line-loss table, the alert
lists and the yearly payout sheet of a county power-supply company's 营销部."""
