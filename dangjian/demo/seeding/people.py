"""Synthetic people: names, 身份证号, phones and party-membership dates, drawn from one seeded RNG."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass

from dangjian.core import idcard
from dangjian.demo.seeding import data
from dangjian.members.choices import Category, WorkStatus

# Retirement ages used to keep serving and retired members plausible.
RETIREMENT_AGE = {"M": 60, "F": 55}


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class MemberSpec:
    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    ethnicity: str
    education: str
    phone: str
    category: str
    joined_on: dt.date
    confirmed_on: dt.date | None
    work_status: str
    org: str = ""  # organisation code, set when the member is placed
    is_leader: bool = False
    position: str = ""
    is_mobile: bool = False

    def formal_by(self, day: dt.date) -> bool:
        """Was a full (正式) member on `day`: only they may be elected to a post."""
        return self.confirmed_on is not None and self.confirmed_on <= day


class _Weighted:
    """Fast weighted choice over a fixed table."""

    def __init__(self, table: tuple[tuple[str, float], ...]):
        self.values = [v for v, _ in table]
        self.cum = list(itertools.accumulate(w for _, w in table))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cum)[0]


class People:
    """Makes people; keeps 身份证号 (and phone numbers) unique across the whole data set."""

    def __init__(self, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today  # ages and 入党日期 are measured from this day
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.surnames = _Weighted(data.SURNAMES)
        self.ethnicities = _Weighted(data.ETHNICITIES)
        self.edu_active = _Weighted(data.EDUCATION_ACTIVE)
        self.edu_retired = _Weighted(data.EDUCATION_RETIRED)
        self.sh_prefixes = _Weighted(tuple((p, float(w)) for p, w in data.SHANGHAI_PREFIXES))
        self.other_prefixes = _Weighted(tuple((p, float(w)) for p, w in data.OTHER_PREFIXES))

    # --- identity -------------------------------------------------------------------------------
    def name(self, sex: str, birth_year: int) -> str:
        rng = self.rng
        surname = self.surnames.pick(rng)
        if birth_year < 1970:
            pool = data.OLD_MALE_GIVEN if sex == "M" else data.OLD_FEMALE_GIVEN
            return surname + rng.choice(pool)
        chars = data.YOUNG_MALE_CHARS if sex == "M" else data.YOUNG_FEMALE_CHARS
        if len(surname) > 1 or rng.random() < 0.22:
            return surname + rng.choice(chars)
        first, second = rng.sample(chars, 2)
        return surname + first + second

    def id_number(self, birth: dt.date, male: bool) -> str:
        rng = self.rng
        prefix = self.sh_prefixes.pick(rng) if rng.random() < 0.85 else self.other_prefixes.pick(rng)
        start = rng.randrange(0, 1000, 2)
        for step in range(500):
            number = idcard.make(prefix, birth, (start + 2 * step) % 1000, male)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise RuntimeError("no free 身份证号 sequence left")  # 500 people born the same day in one district

    def phone(self) -> str:
        while True:
            number = self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    # --- whole people ---------------------------------------------------------------------------
    def _birth(self, age_low: float, age_high: float, mode: float) -> dt.date:
        age_days = int(self.rng.triangular(age_low * 365.25, age_high * 365.25, mode * 365.25))
        return self.today - dt.timedelta(days=age_days)

    def _joined(self, birth: dt.date, retired: bool) -> dt.date:
        """入党日期 of a full member: at least 18, confirmed (one year later) before the reference date."""
        eighteen = add_years(birth, 18) + dt.timedelta(days=30)
        latest = self.today - dt.timedelta(days=400)
        if retired:
            latest = min(latest, add_years(birth, 50))
        span = max(0, (latest - eighteen).days)
        offset = int(self.rng.triangular(0, span, min(span, 5 * 365))) if span else 0
        return eighteen + dt.timedelta(days=offset)

    def serving(
        self, *, age: tuple[float, float, float] | None = None, probationary: bool = False
    ) -> MemberSpec:
        """A serving (在职) civil servant; `age` is (low, high, mode) in years."""
        rng = self.rng
        sex = "M" if rng.random() < 0.55 else "F"
        if age is None:
            age = (23, 59 if sex == "M" else 54, 38)
        birth = self._birth(*age)
        if probationary:
            joined = self.today - dt.timedelta(days=rng.randint(20, 350))
            confirmed = None
        else:
            joined = self._joined(birth, retired=False)
            confirmed = add_years(joined, 1)
        return MemberSpec(
            name=self.name(sex, birth.year),
            id_number=self.id_number(birth, sex == "M"),
            sex=sex,
            birth_date=birth,
            ethnicity=self.ethnicities.pick(rng),
            education=self.edu_active.pick(rng),
            phone=self.phone(),
            category=Category.PROBATIONARY if probationary else Category.FORMAL,
            joined_on=joined,
            confirmed_on=confirmed,
            work_status=WorkStatus.ACTIVE,
            is_mobile=rng.random() < 0.008,
        )

    def retired(self) -> MemberSpec:
        rng = self.rng
        sex = "M" if rng.random() < 0.55 else "F"
        low = RETIREMENT_AGE[sex] + 0.2
        birth = self._birth(low, 92, low + 6)
        joined = self._joined(birth, retired=True)
        return MemberSpec(
            name=self.name(sex, birth.year),
            id_number=self.id_number(birth, sex == "M"),
            sex=sex,
            birth_date=birth,
            ethnicity=self.ethnicities.pick(rng),
            education=self.edu_retired.pick(rng),
            phone="" if rng.random() < 0.04 else self.phone(),
            category=Category.FORMAL,
            joined_on=joined,
            confirmed_on=add_years(joined, 1),
            work_status=WorkStatus.RETIRED,
        )
