"""Make the sample drop folder `data/`: two years of exports of a fictional shop.

Atelier Brume, a candle and home-fragrance maker in Lyon (EUR), sells to the public
through Shopify (monthly orders exports) and to its "Club Brume" subscribers and
wholesale boutiques through Stripe (quarterly payments exports, in `stripe/`).

The story in the monthly figures (METRICS.md): the average customer value rises
for about a year, flattens, then falls over the last months because existing
customers buy less (smaller baskets, fewer orders) while churn creeps up.

Deterministic: fixed seed, no clock, file mtimes set to each export's download time
(overlapping exports repeat identical rows, so the figures never depend on mtimes).

Usage: python scripts/make_sample.py data/
"""

from __future__ import annotations

import csv
import io
import os
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

SEED = 42
PARIS = ZoneInfo("Europe/Paris")
FIRST_MONTH = (2024, 12)
N_MONTHS = 24  # 2024-12 .. 2026-11
CUTOFF_LOCAL = datetime(2026, 11, 25, 21, 0, tzinfo=PARIS)  # last order before the last download
CUTOFF_UTC = datetime(2026, 11, 25, 19, 30, tzinfo=timezone.utc)
LAST_DOWNLOAD = datetime(2026, 11, 25, 21, 40, tzinfo=timezone.utc)

# Shopify orders export, columns as Shopify writes them.
SHOPIFY_COLUMNS = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,"
    "Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,"
    "Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,"
    "Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,"
    "Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
).split(",")

# Stripe payments export (unified_payments.csv), default columns.
STRIPE_COLUMNS = [
    "id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency", "Captured",
    "Converted Amount", "Converted Amount Refunded", "Converted Currency", "Decline Reason",
    "Description", "Fee", "Refunded date (UTC)", "Statement Descriptor", "Status",
    "Seller Message", "Taxes On Fee", "Card ID", "Customer ID", "Customer Description",
    "Customer Email", "Invoice ID", "Transfer",
]

PRODUCTS = [  # name, sku, price (EUR, VAT included)
    ("Bougie Figuier 180g", "BRM-FIG-180", 24.0),
    ("Bougie Figuier 400g", "BRM-FIG-400", 42.0),
    ("Bougie Ambre & Cèdre 180g", "BRM-AMB-180", 26.0),
    ("Bougie Fleur d'Oranger 180g", "BRM-FLO-180", 24.0),
    ("Bougie Tomette 3 mèches", "BRM-TOM-3M", 58.0),
    ("Diffuseur Lin Blanc 100ml", "BRM-DIF-LIN", 34.0),
    ("Recharge Diffuseur 200ml", "BRM-REC-200", 29.0),
    ("Brume d'oreiller Lavande", "BRM-BRU-LAV", 18.0),
    ("Fondants parfumés x6", "BRM-FON-6", 12.0),
    ("Coffret Découverte 3 mini bougies", "BRM-COF-3", 39.0),
    ("Mèche-ciseaux laiton", "BRM-ACC-CIS", 16.0),
    ("Éteignoir laiton", "BRM-ACC-ETE", 19.0),
]

FIRST_NAMES = (
    "Camille Léa Manon Chloé Emma Inès Jade Louise Alice Lina Sarah Julie Marie Clara Anaïs "
    "Pauline Élise Margaux Lucie Zoé Hugo Lucas Louis Jules Arthur Paul Thomas Nathan Théo "
    "Antoine Maxime Julien Nicolas Romain Clément Baptiste Sophie Hélène Claire Anne Lena Jonas "
    "Felix Mia Hannah Laura Giulia Marco Elena"
).split()
LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier "
    "Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller "
    "Henry Roussel Nicolas Perrin Morin Mathieu Clement Gauthier Dumont Lopez Fontaine Chevalier "
    "Schmidt Weber Fischer Rossi"
).split()
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "yahoo.fr", "hotmail.fr", "laposte.net",
           "outlook.fr", "sfr.fr", "icloud.com", "gmx.de"]
CITIES = [("Lyon", "69003"), ("Lyon", "69007"), ("Villeurbanne", "69100"), ("Paris", "75011"),
          ("Paris", "75018"), ("Grenoble", "38000"), ("Annecy", "74000"), ("Marseille", "13006"),
          ("Bordeaux", "33000"), ("Nantes", "44000"), ("Lille", "59000"), ("Strasbourg", "67000"),
          ("Toulouse", "31000"), ("Dijon", "21000"), ("Montpellier", "34000")]
STREETS = ["rue de la République", "rue Mercière", "avenue Jean Jaurès", "rue des Lilas",
           "boulevard de la Croix-Rousse", "rue Victor Hugo", "place Bellecour", "rue du Moulin",
           "chemin des Vignes", "rue Pasteur", "rue de la Paix", "allée des Tilleuls"]
BOUTIQUES = ["Maison Capucine", "La Petite Bohème", "Comptoir Sauvage", "L'Atelier d'Inès",
             "Graine de Lin", "Le Bazar Doré", "Fleurs & Bougies", "Concept Store Opaline",
             "La Vitrine Bleue", "Les Curieuses", "Maison Ombelle", "Le Nid Douillet",
             "Boutique Sève", "Un Dimanche à Lyon", "Herboristerie du Parc", "Le Grenier Chic",
             "Papeterie Mistral", "Galerie Tilleul", "Épicerie Fine Cassis", "Atelier Grège",
             "Déco Nomade", "La Maison Perchée"]
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def month_index_start(t: int) -> date:
    y, m = FIRST_MONTH
    m += t
    return date(y + (m - 1) // 12, (m - 1) % 12 + 1, 1)


def days_in(d: date) -> int:
    nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return (nxt - d).days


# The story, per month t = 0 (2024-12) .. 23 (2026-11).
# spend: basket level of existing customers; extra: chance of a 2nd order in a month;
# keep: factor on the chance that an existing customer buys at all; hazard: chance of leaving.
def story(t: int) -> tuple[float, float, float, float]:
    if t <= 12:
        spend, extra = 1.0 + 0.55 * t / 12, 0.06 + 0.24 * t / 12
    elif t <= 19:
        spend, extra = 1.55, 0.30
    else:
        spend = {20: 1.40, 21: 1.28, 22: 1.17, 23: 1.10}[t]
        extra = {20: 0.20, 21: 0.13, 22: 0.08, 23: 0.05}[t]
    keep = {20: 0.92, 21: 0.84, 22: 0.76, 23: 0.72}.get(t, 1.0)
    hazard = {20: 0.07, 21: 0.10, 22: 0.13, 23: 0.15}.get(t, 0.05)
    return spend, extra, keep, hazard


@dataclass
class Customer:
    channel: str  # "shop", "club", "pro"
    key: str  # email (shop) or Stripe customer id
    email: str
    name: str
    city: tuple[str, str]
    street: str
    base: float  # euros per order at spend level 1
    q: float  # chance of buying in a month
    joined: int
    marketing: bool
    day: int = 1  # billing day (club, pro)
    card: str = ""  # Stripe card id (club, pro)
    alive: bool = True
    n_orders: int = 0


@dataclass
class Order:
    when: datetime  # local (shop) or UTC (stripe)
    customer: Customer | None
    target: float
    status: str = "paid"
    extra: dict = field(default_factory=dict)


class Shop:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.customers: list[Customer] = []
        self.emails: set[str] = set()
        self.shop_orders: list[Order] = []
        self.stripe_orders: list[Order] = []

    # ---- people -------------------------------------------------------------------
    def token(self, n: int) -> str:
        return "".join(self.rng.choice(ALNUM) for _ in range(n))

    def new_person(self) -> tuple[str, str]:
        r = self.rng
        while True:
            first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
            sep = r.choice([".", "", "_", "."])
            num = r.choice(["", "", str(r.randint(1, 99)), str(r.randint(1960, 2004))])
            local = f"{first}{sep}{last}{num}".lower()
            for a, b in (("é", "e"), ("è", "e"), ("ë", "e"), ("ï", "i"), ("ç", "c")):
                local = local.replace(a, b)
            email = f"{local}@{r.choice(DOMAINS)}"
            if email not in self.emails:
                self.emails.add(email)
                return email, f"{first} {last}"

    def new_customer(self, channel: str, t: int) -> Customer:
        r = self.rng
        email, name = self.new_person()
        if channel == "shop":
            key, base, q = email, r.lognormvariate(3.75, 0.35), r.uniform(0.25, 0.75)
        elif channel == "club":
            key, base, q = "cus_" + self.token(14), r.choice([29.0, 39.0, 49.0]), r.uniform(0.8, 0.97)
        else:
            key, base, q = "cus_" + self.token(14), r.lognormvariate(5.3, 0.3), r.uniform(0.55, 0.85)
            name = BOUTIQUES[len([c for c in self.customers if c.channel == "pro"]) % len(BOUTIQUES)]
        c = Customer(channel, key, email, name, r.choice(CITIES), r.choice(STREETS), base, q, t,
                     r.random() < 0.6, day=r.randint(1, 28))
        if channel != "shop":
            c.card = "card_1" + self.token(23)
        self.customers.append(c)
        return c

    # ---- simulation ---------------------------------------------------------------
    def simulate(self) -> None:
        r = self.rng
        for _ in range(130):
            self.new_customer("shop", -1)
        for _ in range(30):
            self.new_customer("club", -1)
        for _ in range(8):
            self.new_customer("pro", -1)
        for t in range(N_MONTHS):
            spend, extra, keep, hazard = story(t)
            start = month_index_start(t)
            for _ in range(r.randint(26, 34)):
                self.new_customer("shop", t)
            for _ in range(r.randint(2, 5)):
                self.new_customer("club", t)
            if t % 2 == 0:
                self.new_customer("pro", t)
            for c in self.customers:
                if not c.alive:
                    continue
                if c.joined == t:
                    self.buy(c, t, start, 1.0, 0.0, first=True)
                    continue
                if c.joined > t:
                    continue
                if r.random() < hazard:
                    c.alive = False
                    continue
                if r.random() < c.q * keep:
                    self.buy(c, t, start, spend, extra, first=False)
            # the market stall: Shopify POS sales without an e-mail (unattributed)
            for _ in range(r.randint(3, 9)):
                self.shop_order(None, self.local_time(start, r.randint(1, days_in(start))), r.uniform(15, 70))
            # a few one-off Stripe payment links without a customer (unattributed)
            if r.random() < 0.4:
                when = self.utc_time(start, r.randint(1, days_in(start)))
                self.stripe_orders.append(Order(when, None, round(r.uniform(30, 120), 0)))

    def local_time(self, start: date, day: int) -> datetime:
        r = self.rng
        hour = r.choices(range(24), weights=[1, 1, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 8, 8, 7, 7, 7, 8,
                                              9, 10, 11, 10, 6, 3])[0]
        return datetime(start.year, start.month, day, hour, r.randint(0, 59), r.randint(0, 59),
                        tzinfo=PARIS)

    def utc_time(self, start: date, day: int) -> datetime:
        r = self.rng
        return datetime(start.year, start.month, day, r.randint(5, 21), r.randint(0, 59),
                        r.randint(0, 59), tzinfo=timezone.utc)

    def buy(self, c: Customer, t: int, start: date, spend: float, extra: float, first: bool) -> None:
        r = self.rng
        dim = days_in(start)
        if c.channel == "shop":
            n = 1 + (r.random() < extra) + (r.random() < extra / 4)
            for day in sorted(r.randint(1, dim) for _ in range(n)):
                self.shop_order(c, self.local_time(start, day), c.base * spend * r.lognormvariate(0, 0.25))
        elif c.channel == "club":
            # the box, plus add-ons that grow and shrink with the spend level
            addons = c.base * (spend - 1.0) * 1.6 * r.lognormvariate(0, 0.3)
            self.stripe_charge(c, self.utc_time(start, min(c.day, dim)), c.base + max(addons, 0), first)
            if r.random() < extra / 2:
                self.stripe_charge(c, self.utc_time(start, r.randint(1, dim)), r.choice([18.0, 24.0, 34.0]), False)
        else:
            n = 1 + (r.random() < extra / 2)
            for day in sorted(r.randint(1, dim) for _ in range(n)):
                self.stripe_charge(c, self.utc_time(start, day), c.base * spend * r.lognormvariate(0, 0.2), first)
        c.n_orders += 1

    def shop_order(self, c: Customer | None, when: datetime, target: float) -> None:
        if when > CUTOFF_LOCAL:
            return
        r = self.rng
        o = Order(when, c, target)
        x = r.random()
        if x < 0.045:
            o.status = "partially_refunded"
        elif x < 0.06:
            o.status = "refunded"
        self.shop_orders.append(o)
        # money that never moved: an abandoned bank transfer or a cancelled order
        if c is not None and r.random() < 0.025:
            ghost = Order(when + timedelta(minutes=r.randint(-600, -5)), c, target * r.uniform(0.6, 1.2))
            ghost.status = r.choice(["pending", "voided", "voided"])
            if ghost.when.month == when.month:
                self.shop_orders.append(ghost)

    def stripe_charge(self, c: Customer, when: datetime, amount: float, first: bool) -> None:
        if when > CUTOFF_UTC:
            return
        r = self.rng
        amount = round(amount, 2) if c.channel == "pro" else round(amount * 2) / 2
        desc = (f"Facture BRUME-PRO-{r.randint(1000, 9999)}" if c.channel == "pro"
                else "Subscription creation" if first else "Subscription update")
        if r.random() < 0.05:  # card declined, retried two days later
            fail = Order(when, c, amount, "Failed", {"desc": desc})
            self.stripe_orders.append(fail)
            retry = when + timedelta(days=2)
            if retry.month != when.month or retry > CUTOFF_UTC or r.random() < 0.15:
                return
            when = retry
        o = Order(when, c, amount, "Paid", {"desc": desc})
        x = r.random()
        if x < 0.03:
            o.status = "Paid"
            o.extra["refund"] = round(amount * r.choice([0.2, 0.25, 0.5]), 2)
        elif x < 0.04:
            o.status = "Refunded"
            o.extra["refund"] = amount
        self.stripe_orders.append(o)


# ---- writing ------------------------------------------------------------------------
def money(x: float) -> str:
    return f"{x:.2f}"


def shopify_rows(shop: Shop) -> dict[str, list[str]]:
    """Each order's CSV text (its rows), keyed by order id; assigns names and ids."""
    r = random.Random(SEED + 1)
    orders = sorted(shop.shop_orders, key=lambda o: o.when)
    number, order_id = 1001, 6_021_447_000_000
    out = {}
    for o in orders:
        order_id += r.randint(40_000, 900_000)
        name = f"#{number}"
        number += 1
        # basket: products adding up to about the target
        lines: dict[int, int] = {}
        subtotal = 0.0
        while not lines or (subtotal < o.target - 10 and len(lines) < 5):
            i = r.randrange(len(PRODUCTS))
            if lines.get(i, 0) == 0 and len(lines) >= 4:
                continue
            lines[i] = lines.get(i, 0) + 1
            subtotal += PRODUCTS[i][2]
        pos = o.customer is None
        code, discount = "", 0.0
        if not pos and r.random() < 0.12:
            code = r.choice(["BIENVENUE10", "CLUB10"] + ["NOEL15"] * (o.when.month in (11, 12)))
            discount = round(subtotal * int(code[-2:]) / 100, 2)
        shipping = 0.0 if pos or subtotal >= 60 else r.choice([4.9, 4.9, 6.9])
        total = round(subtotal - discount + shipping, 2)
        taxes = round(total / 6, 2)  # French VAT 20 %, included in prices
        refunded = 0.0
        if o.status == "refunded":
            refunded = total
        elif o.status == "partially_refunded":
            refunded = min(PRODUCTS[r.choice(list(lines))][2], round(total / 2, 2))
        created = o.when.strftime("%Y-%m-%d %H:%M:%S %z")
        moved = o.status not in ("pending", "voided")
        paid_at = created if moved else ""
        fulfilled_at = ""
        fstatus = "unfulfilled"
        if moved and not pos:
            done = o.when + timedelta(hours=r.randint(18, 70))
            if done <= CUTOFF_LOCAL:
                fstatus, fulfilled_at = "fulfilled", done.strftime("%Y-%m-%d %H:%M:%S %z")
        if pos:
            fstatus = "fulfilled"
            fulfilled_at = created
        c = o.customer
        email = ""
        if c is not None:
            email = c.email
            if r.random() < 0.03:  # typed differently at checkout
                email = " " + c.email.capitalize()
        city, zip_ = c.city if c else ("", "")
        addr = f"{r.randint(1, 120)} {c.street}" if c else ""
        person = c.name if c else ""
        rows = []
        for k, (i, qty) in enumerate(sorted(lines.items())):
            pname, sku, price = PRODUCTS[i]
            row = dict.fromkeys(SHOPIFY_COLUMNS, "")
            row.update({
                "Name": name, "Email": email, "Created at": created,
                "Lineitem quantity": str(qty), "Lineitem name": pname, "Lineitem price": money(price),
                "Lineitem sku": sku, "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                "Lineitem fulfillment status": "fulfilled" if fstatus == "fulfilled" else "pending",
                "Vendor": "Atelier Brume", "Lineitem discount": "0.00",
            })
            if k == 0:
                row.update({
                    "Financial Status": o.status, "Paid at": paid_at, "Fulfillment Status": fstatus,
                    "Fulfilled at": fulfilled_at,
                    "Accepts Marketing": "yes" if c and c.marketing else "no", "Currency": "EUR",
                    "Subtotal": money(subtotal), "Shipping": money(shipping), "Taxes": money(taxes),
                    "Total": money(total), "Discount Code": code, "Discount Amount": money(discount),
                    "Shipping Method": "" if pos else ("Colissimo" if shipping != 6.9 else "Chronopost"),
                    "Billing Name": person, "Billing Street": addr, "Billing Address1": addr,
                    "Billing City": city, "Billing Zip": zip_, "Billing Country": "FR" if c else "",
                    "Shipping Name": person, "Shipping Street": addr, "Shipping Address1": addr,
                    "Shipping City": city, "Shipping Zip": zip_, "Shipping Country": "FR" if c else "",
                    "Cancelled at": created if o.status == "voided" else "",
                    "Payment Method": "Shopify Payments" if o.status != "pending" else "Virement bancaire",
                    "Payment Reference": f"c{order_id // 1000}.1",
                    "Refunded Amount": money(refunded),
                    "Outstanding Balance": money(total) if o.status == "pending" else "0.00",
                    "Location": "Marché de la Croix-Rousse" if pos else "",
                    "Id": str(order_id), "Risk Level": "Low", "Source": "pos" if pos else "web",
                    "Tax 1 Name": "TVA 20%", "Tax 1 Value": money(taxes),
                    "Payment ID": f"c{order_id // 1000}.1",
                })
            rows.append(row)
        o.extra["id"] = str(order_id)
        out[str(order_id)] = rows
    return out


def stripe_rows(shop: Shop) -> None:
    r = random.Random(SEED + 2)
    for o in sorted(shop.stripe_orders, key=lambda o: o.when):
        c = o.customer
        amount = o.target
        refund = o.extra.get("refund", 0.0)
        failed = o.status == "Failed"
        fee = 0.0 if failed else round(amount * 0.015 + 0.25, 2)
        created = o.when.strftime("%Y-%m-%d %H:%M:%S")
        refunded_at = ""
        if refund:
            refunded_at = (o.when + timedelta(days=r.randint(1, 9))).strftime("%Y-%m-%d %H:%M:%S")
        o.extra["row"] = {
            "id": "ch_3" + "".join(r.choice(ALNUM) for _ in range(23)),
            "Created date (UTC)": created, "Amount": money(amount), "Amount Refunded": money(refund),
            "Currency": "eur", "Captured": "false" if failed else "true",
            "Converted Amount": money(amount), "Converted Amount Refunded": money(refund),
            "Converted Currency": "eur",
            "Decline Reason": r.choice(["insufficient_funds", "card_declined", "expired_card"]) if failed else "",
            "Description": o.extra.get("desc", "Payment link: Carte cadeau"),
            "Fee": money(fee), "Refunded date (UTC)": refunded_at,
            "Statement Descriptor": "ATELIER BRUME", "Status": o.status,
            "Seller Message": "The bank did not return any further details with this decline." if failed
            else "Payment complete.",
            "Taxes On Fee": "0.00", "Card ID": c.card if c else "card_1" + "".join(r.choice(ALNUM) for _ in range(23)),
            "Customer ID": c.key if c else "",
            "Customer Description": c.name if c and c.channel == "pro" else "",
            "Customer Email": c.email if c else "",
            "Invoice ID": ("in_1" + "".join(r.choice(ALNUM) for _ in range(23))) if c else "",
            "Transfer": "",
        }


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def stamp(path: Path, when: datetime) -> None:
    ts = when.timestamp()
    os.utime(path, (ts, ts))


def main(out_dir: str) -> None:
    out = Path(out_dir)
    shop = Shop()
    shop.simulate()
    rows_by_id = shopify_rows(shop)
    stripe_rows(shop)

    # Shopify: one export per month, downloaded on the 2nd of the next month; some
    # exports start a few days early and so repeat the end of the previous month.
    overlap = {(2025, 4): 3, (2025, 10): 2, (2026, 3): 3, (2026, 8): 4}
    for t in range(N_MONTHS):
        start = month_index_start(t)
        end = start + timedelta(days=days_in(start))
        since = start - timedelta(days=overlap.get((start.year, start.month), 0))
        picked = [o for o in shop.shop_orders if since <= o.when.date() < end]
        picked.sort(key=lambda o: o.when, reverse=True)  # newest first, as Shopify does
        rows = [row for o in picked for row in rows_by_id[o.extra["id"]]]
        path = out / f"orders_export_{start:%Y-%m}.csv"
        write_csv(path, SHOPIFY_COLUMNS, rows)
        stamp(path, LAST_DOWNLOAD if t == N_MONTHS - 1
              else datetime(end.year, end.month, 2, 8, 30, tzinfo=timezone.utc))

    # Stripe: one export per quarter, in a subfolder; Q3 2025 and Q2 2026 overlap.
    quarters = sorted({(m.year, (m.month - 1) // 3 + 1) for m in map(month_index_start, range(N_MONTHS))})
    q_overlap = {(2025, 3): 5, (2026, 2): 7}
    for y, q in quarters:
        start = date(y, 3 * q - 2, 1)
        end = date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
        since = start - timedelta(days=q_overlap.get((y, q), 0))
        picked = [o for o in shop.stripe_orders if since <= o.when.date() < end]
        picked.sort(key=lambda o: o.when, reverse=True)
        path = out / "stripe" / f"unified_payments-{y}-Q{q}.csv"
        write_csv(path, STRIPE_COLUMNS, [o.extra["row"] for o in picked])
        stamp(path, LAST_DOWNLOAD if end > CUTOFF_UTC.date()
              else datetime(end.year, end.month, 3, 7, 15, tzinfo=timezone.utc))
    stamp(out / "stripe", LAST_DOWNLOAD)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_sample.py OUT_DIR")
    main(sys.argv[1])
