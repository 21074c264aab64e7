//! The sandbox banks' data, as constants and a deterministic generator: institutions, users
//! (documented passwords and TOTP secrets, see docs/banks.md), accounts, owners and ~20–40
//! transactions per account over the 90 days before a fixed reference date, so every run and
//! every machine sees the same data.

use crate::domain::bank::account::{
    Balance, BankAccount, Category, NewAccount, Owner, Scenario, Subcategory, Transaction, TransactionStatus,
};
use crate::domain::institution::{Institution, InstitutionBehaviour, InstitutionFeatures};

/// 2026-01-01T00:00:00Z: transactions fall in the 90 days before it.
pub const REFERENCE_TIME: i64 = 1_767_225_600;
/// Every seeded user's password.
pub const PASSWORD: &str = "password123";
/// Stripe's test routing number, used by every sandbox bank.
pub const ROUTING_NUMBER: &str = "110000000";

const SF_ADDRESS: &str = "354 Oyster Point Blvd South San Francisco, CA 94080 USA";

fn institution(id: &str, name: &str, status: &str, behaviour: InstitutionBehaviour) -> Institution {
    Institution {
        id: id.into(),
        name: name.into(),
        countries: vec!["US".into()],
        features: InstitutionFeatures {
            balances: true,
            ownership: true,
            payment_method: true,
            transactions: true,
        },
        routing_numbers: vec![ROUTING_NUMBER.into()],
        status: status.into(),
        url: Some(format!("https://{}.sandbank.example", id.trim_start_matches("fcinst_"))),
        subcategories: ["checking", "savings", "credit_card", "mortgage", "line_of_credit"]
            .map(String::from)
            .to_vec(),
        behaviour,
    }
}

pub fn institutions() -> Vec<Institution> {
    use InstitutionBehaviour::*;
    vec![
        institution("fcinst_sandbank", "Sandbank National", "active", Healthy),
        institution("fcinst_ownership", "Ownership Trust", "active", Healthy),
        institution("fcinst_down", "Downtown Bank", "degraded", Down),
        institution("fcinst_slow", "Slowpoke Credit Union", "active", Slow),
        institution("fcinst_test", "Sandbank Test Institution", "active", Healthy),
    ]
}

/// A seeded bank user: id `buser_{username}`, password [`PASSWORD`].
pub struct SeedUser {
    pub username: &'static str,
    pub institution_id: &'static str,
    pub name: &'static str,
    pub totp_secret: &'static str,
}

pub const USERS: &[SeedUser] = &[
    user("jenny", "fcinst_sandbank", "Jenny Rosen", "SANDBANKJENNYAAA"),
    user("mark", "fcinst_sandbank", "Mark Rosen", "SANDBANKMARKAAAA"),
    user("joint", "fcinst_ownership", "Jenny Rosen", "SANDBANKJOINTAAA"),
    user("business", "fcinst_ownership", "Jenny Rosen", "SANDBANKBUSINESS"),
    user("nocontact", "fcinst_ownership", "Sam Noone", "SANDBANKNOCONTAC"),
    user("moved", "fcinst_ownership", "Jenny Rosen", "SANDBANKMOVEDAAA"),
    user("jennifer", "fcinst_ownership", "Jennifer Rosen", "SANDBANKJENNIFER"),
    user("down", "fcinst_down", "Dana Down", "SANDBANKDOWNAAAA"),
    user("slow", "fcinst_slow", "Pat Slowpoke", "SANDBANKSLOWAAAA"),
];

const fn user(
    username: &'static str,
    institution_id: &'static str,
    name: &'static str,
    totp: &'static str,
) -> SeedUser {
    SeedUser {
        username,
        institution_id,
        name,
        totp_secret: totp,
    }
}

fn owner(name: &str, email: Option<&str>, phone: Option<&str>, address: Option<&str>) -> Owner {
    Owner {
        name: name.into(),
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        raw_address: address.map(Into::into),
    }
}

fn jenny() -> Owner {
    owner(
        "Jenny Rosen",
        Some("jenny.rosen@example.com"),
        Some("+14155550100"),
        Some(SF_ADDRESS),
    )
}

fn mark() -> Owner {
    owner(
        "Mark Rosen",
        Some("mark.rosen@example.com"),
        Some("+14155550101"),
        Some(SF_ADDRESS),
    )
}

/// One seeded account: id `bacct_{username}_{subcategory}`.
struct Plan {
    username: &'static str,
    institution_id: &'static str,
    display_name: &'static str,
    subcategory: Subcategory,
    account_number: &'static str,
    /// Stripe's sign: negative for what a credit account owes.
    current: i64,
    /// Cash accounts only: `current` less pending debits.
    available: Option<i64>,
    owners: Vec<Owner>,
}

fn plans() -> Vec<Plan> {
    use Subcategory::*;
    let plan = |username, institution_id, display_name, subcategory, account_number, current, available, owners| Plan {
        username,
        institution_id,
        display_name,
        subcategory,
        account_number,
        current,
        available,
        owners,
    };
    let (sb, ot) = ("fcinst_sandbank", "fcinst_ownership");
    vec![
        plan(
            "jenny",
            sb,
            "Everyday Checking",
            Checking,
            "000123456789",
            524_301,
            Some(519_811),
            vec![jenny()],
        ),
        plan(
            "jenny",
            sb,
            "High Yield Savings",
            Savings,
            "000123450021",
            2_150_000,
            Some(2_150_000),
            vec![jenny()],
        ),
        plan(
            "jenny",
            sb,
            "Sandbank Rewards Visa",
            CreditCard,
            "4000056655665556",
            -84_512,
            None,
            vec![jenny()],
        ),
        plan(
            "jenny",
            sb,
            "30-Year Fixed Mortgage",
            Mortgage,
            "770012345678",
            -31_245_000,
            None,
            vec![jenny()],
        ),
        plan(
            "mark",
            sb,
            "Basic Checking",
            Checking,
            "000987654321",
            132_050,
            Some(132_050),
            vec![mark()],
        ),
        plan(
            "joint",
            ot,
            "Joint Checking",
            Checking,
            "000555000111",
            873_400,
            Some(870_000),
            vec![jenny(), mark()],
        ),
        plan(
            "business",
            ot,
            "Business Checking",
            Checking,
            "000555000222",
            4_512_075,
            Some(4_500_000),
            vec![
                owner(
                    "Rosen Bakery LLC",
                    Some("orders@rosenbakery.example"),
                    Some("+14155550199"),
                    Some("1 Ferry Building San Francisco, CA 94111 USA"),
                ),
                jenny(),
            ],
        ),
        plan(
            "nocontact",
            ot,
            "Savings",
            Savings,
            "000555000333",
            310_000,
            Some(310_000),
            vec![owner(
                "Sam Noone",
                None,
                None,
                Some("77 Quiet Lane Portland, OR 97201 USA"),
            )],
        ),
        plan(
            "moved",
            ot,
            "Checking",
            Checking,
            "000555000444",
            98_765,
            Some(98_765),
            vec![owner(
                "Jenny Rosen",
                Some("jenny.rosen@example.com"),
                Some("+14155550100"),
                Some("123 Main Street Springfield, IL 62701 USA"),
            )],
        ),
        plan(
            "jennifer",
            ot,
            "Checking",
            Checking,
            "000555000555",
            250_000,
            Some(250_000),
            vec![owner(
                "Jennifer Rosen",
                Some("jennyrosen@test.com"),
                None,
                Some(SF_ADDRESS),
            )],
        ),
        plan(
            "down",
            "fcinst_down",
            "Checking",
            Checking,
            "000666000111",
            100_000,
            Some(100_000),
            vec![owner(
                "Dana Down",
                Some("dana.down@example.com"),
                Some("+14155550150"),
                None,
            )],
        ),
        plan(
            "slow",
            "fcinst_slow",
            "Share Checking",
            Checking,
            "000777000111",
            45_000,
            Some(45_000),
            vec![owner(
                "Pat Slowpoke",
                Some("pat.slowpoke@example.com"),
                Some("+14155550160"),
                None,
            )],
        ),
    ]
}

/// Every seeded account with its owners and generated transactions.
pub fn accounts() -> Vec<NewAccount> {
    plans().into_iter().map(build).collect()
}

fn build(plan: Plan) -> NewAccount {
    let id = format!("bacct_{}_{}", plan.username, plan.subcategory.as_str());
    let category = match plan.subcategory {
        Subcategory::CreditCard | Subcategory::Mortgage | Subcategory::LineOfCredit => Category::Credit,
        _ => Category::Cash,
    };
    let mut balance = Balance::for_category(category, plan.current);
    if category == Category::Cash {
        balance.available = plan.available;
    }
    let number = plan.account_number;
    let transactions = transactions(&id, plan.subcategory);
    NewAccount {
        account: BankAccount {
            id,
            institution_id: plan.institution_id.into(),
            user_id: format!("buser_{}", plan.username),
            display_name: plan.display_name.into(),
            category,
            subcategory: plan.subcategory,
            last4: number[number.len() - 4..].into(),
            currency: "usd".into(),
            status: "open".into(),
            routing_number: ROUTING_NUMBER.into(),
            balance,
            scenario: Scenario::Normal,
        },
        account_number: number.into(),
        owners: plan.owners,
        transactions,
    }
}

/// A small deterministic generator (64-bit LCG) seeded from the account id.
struct Lcg(u64);

impl Lcg {
    fn new(seed: &str) -> Self {
        // FNV-1a of the seed.
        Lcg(seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        }))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// (description, smallest and largest amount in cents; negative is a debit).
fn catalogue(subcategory: Subcategory) -> &'static [(&'static str, i64, i64)] {
    match subcategory {
        Subcategory::Checking => &[
            ("Payroll deposit ACME Corp", 180_000, 260_000),
            ("Whole Foods Market", -18_000, -2_500),
            ("Blue Bottle Coffee", -1_200, -450),
            ("PG&E utility bill", -16_000, -7_000),
            ("Rent payment", -240_000, -240_000),
            ("Transfer to savings", -50_000, -10_000),
            ("Muni transit", -900, -250),
            ("Venmo transfer received", 2_000, 15_000),
        ],
        Subcategory::Savings => &[
            ("Transfer from checking", 10_000, 50_000),
            ("Interest payment", 300, 900),
            ("Transfer to checking", -40_000, -5_000),
        ],
        Subcategory::CreditCard => &[
            ("Amazon.com", -15_000, -1_200),
            ("Shell gas station", -7_000, -3_000),
            ("Tartine Bakery", -3_500, -800),
            ("Netflix", -1_549, -1_549),
            ("Payment - thank you", 20_000, 60_000),
        ],
        _ => &[
            ("Mortgage payment - principal", 45_000, 47_000),
            ("Mortgage payment - interest", 98_000, 102_000),
            ("Escrow - property tax", -60_000, -40_000),
            ("Interest accrued", -34_000, -30_000),
        ],
    }
}

fn transactions(account_id: &str, subcategory: Subcategory) -> Vec<Transaction> {
    let mut rng = Lcg::new(account_id);
    let count = 20 + rng.below(21) as i64;
    let items = catalogue(subcategory);
    (0..count)
        .map(|i| {
            let (description, low, high) = items[rng.below(items.len() as u64) as usize];
            let amount = low + rng.below((high - low + 1) as u64) as i64;
            // Spread over 90 days, newest first (i = 0 is the latest).
            let transacted_at = REFERENCE_TIME - (i * 90 * 86_400 / count) - rng.below(43_200) as i64 - 3_600;
            let (status, posted_at) = match i {
                0 | 1 => (TransactionStatus::Pending, None),
                5 if count > 25 => (TransactionStatus::Void, None),
                _ => (TransactionStatus::Posted, Some(transacted_at + 86_400)),
            };
            Transaction {
                id: format!("btxn_{}_{:03}", account_id.trim_start_matches("bacct_"), i),
                amount,
                currency: "usd".into(),
                description: description.into(),
                status,
                transacted_at,
                posted_at,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_deterministic_and_plausible() {
        let a = accounts();
        let b = accounts();
        assert_eq!(a, b);
        for account in &a {
            let n = account.transactions.len();
            assert!((20..=40).contains(&n), "{} has {n}", account.account.id);
            assert!(
                account
                    .transactions
                    .iter()
                    .all(|t| t.transacted_at < REFERENCE_TIME && t.transacted_at > REFERENCE_TIME - 91 * 86_400)
            );
            assert!(
                USERS
                    .iter()
                    .any(|u| format!("buser_{}", u.username) == account.account.user_id)
            );
        }
        let mut ids: Vec<_> = a.iter().map(|x| x.account.id.clone()).collect();
        ids.dedup();
        assert_eq!(ids.len(), a.len());
        for u in USERS {
            assert!(crate::domain::bank::totp::decode_base32(u.totp_secret).is_some());
        }
    }
}
