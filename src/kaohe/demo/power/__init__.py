"""The power-supply demo (``kaohe demo --kind power``): a county power-supply company with its
township supply stations (供电所), service halls, 台区 and meters, and the assessments of
DOMAIN.md S6 (大营销), S7 (抄核收), S8 (线损), S10 (岗位绩效), S11 (工单) and S13 (反窃电).
docs/power-demo.md lists every scheme with its 口径."""
