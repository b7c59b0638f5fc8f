"""The power-supply demo (``kaohe demo --kind power``): a county power-supply company with its
township supply stations (供电所), service halls, 台区 and meters, and the 抄核收 (S7) and line-loss
(S8) assessments of DOMAIN.md."""
