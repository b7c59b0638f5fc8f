"""Word lists for the demo: people's names, places, outlet names, inspectors.

Everything here is fictional; the lists only have to read like a real Chinese branch office.
"""

from __future__ import annotations

import numpy as np

# The most common surnames, roughly in order of frequency; the weights below follow that order so
# that 王/李/张 dominate as they do in a real staff list.
SURNAMES: tuple[str, ...] = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴莫孔向汤"
) + ("欧阳", "司马", "诸葛")

FEMALE_CHARS = tuple("丽娟敏静婷雪燕霞玲芳娜琳颖倩欣悦佳怡晶洁慧萍红艳梅莉璐瑶婉露雯晓梦思雨诗嘉琪楠")
MALE_CHARS = tuple("伟强磊军勇杰涛明超斌鹏辉华刚平飞浩宇俊峰建文志凯鑫博晨阳轩睿泽振国海亮龙")
NEUTRAL_CHARS = tuple("子一心安嘉晓佳文春秋永子新")

BRANCHES: tuple[tuple[str, str], ...] = (
    ("临江", "临江分公司"),
    ("青州", "青州分公司"),
    ("云川", "云川分公司"),
)
# County name pools per branch; the first of each is the city district (区公司), still kind 县公司.
COUNTIES: tuple[tuple[str, ...], ...] = (
    ("江北", "安平", "石门", "清溪", "白河", "东坪", "望江", "新丰", "黄湾", "乐山"),
    ("青阳", "龙泉", "桃源", "永宁", "柳城", "平川", "凤台", "兴隆", "北关", "南渡"),
    ("云溪", "白沙", "长乐", "凤凰", "双峰", "金台", "玉屏", "安澜", "宁远", "鹤山"),
)
ROADS = tuple(
    "人民路 解放路 中山路 建设路 新华路 文化路 胜利路 和平路 青年路 滨江路 迎宾大道 府前街 "
    "南大街 北门街 东风路 光明路 长江路 复兴路".split()
)
TOWNS = tuple(
    "城关镇 河口镇 柳林镇 大桥镇 石桥乡 白马镇 新店镇 龙潭镇 桂花乡 马头镇 黄土镇 清水镇 三江镇 "
    "双溪乡 太平镇 长岭镇 杨柳镇 高坪乡 沙河镇 金山镇".split()
)
SHOPS = tuple("宏达 鑫源 恒信 顺发 金利 万通 华通 诚信 兴旺 联创 新时代 佳美 通达 富民".split())

# 明查 is done by named staff of the marketing department; 暗访 by mystery shoppers known by code.
OPEN_INSPECTORS = ("市场部-陈晓东", "市场部-刘芳", "市场部-周建华", "市场部-孙丽娟", "市场部-吴磊")
SECRET_INSPECTORS = tuple(f"暗访员A{i:02d}" for i in range(1, 9))


def person_names(rng: np.random.Generator, female: np.ndarray) -> list[str]:
    """One realistic full name per entry of ``female`` (bool array); a few hundred, not millions."""
    n = len(female)
    weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.7
    weights /= weights.sum()
    surname = rng.choice(len(SURNAMES), size=n, p=weights)
    two_chars = rng.random(n) < 0.72
    names: list[str] = []
    for i in range(n):
        pool = FEMALE_CHARS if female[i] else MALE_CHARS
        first = pool[rng.integers(len(pool))]
        if two_chars[i]:
            # Real two-character given names often start with a neutral character (晓, 嘉, 子 …).
            if rng.random() < 0.35:
                given = NEUTRAL_CHARS[rng.integers(len(NEUTRAL_CHARS))] + first
            else:
                given = first + pool[rng.integers(len(pool))]
        else:
            given = first
        names.append(SURNAMES[surname[i]] + given)
    return names
