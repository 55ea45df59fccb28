// The benchmark dataset's word lists (see dataset_vocab.h).
#include "dataset_vocab.h"

namespace cofre::bench {
namespace {

constexpr std::string_view kFirstNameList[] = {
    "Ada",   "Aiko",    "Alba",   "Amara",   "Anders", "Ana",     "Arjun",  "Astrid", "Beatriz",
    "Bruno", "Camila",  "Chen",   "Chidi",   "Clara",  "Dario",   "Daniel", "Diego",  "Elena",
    "Emeka", "Emma",    "Fatima", "Felix",   "Freya",  "Gabriel", "Hana",   "Hugo",   "Ines",
    "Isaac", "Ivan",    "Jana",   "Javier",  "Jonas",  "Kai",     "Kenji",  "Lara",   "Leila",
    "Liam",  "Lucia",   "Luca",   "Maya",    "Malik",  "Marta",   "Mateo",  "Mei",    "Mila",
    "Nadia", "Nikolai", "Noah",   "Nora",    "Olga",   "Omar",    "Oskar",  "Paula",  "Pedro",
    "Priya", "Rafael",  "Rania",  "Rosa",    "Sakura", "Samir",   "Sara",   "Sofia",  "Sven",
    "Tariq", "Tomas",   "Uma",    "Valeria", "Victor", "Wei",     "Yara",   "Yusuf",  "Zara",
    "Zoe",   "Elif",    "Kofi",   "Ingrid",  "Rohan",
};

constexpr std::string_view kLastNameList[] = {
    "Almeida",   "Andersen", "Bauer",     "Becker",   "Bianchi",  "Costa",  "Cruz",     "Dubois",
    "Eriksson",  "Fischer",  "Fontaine",  "Garcia",   "Gomez",    "Gupta",  "Hansen",   "Hoffmann",
    "Ivanova",   "Jensen",   "Kaur",      "Kim",      "Kowalski", "Larsen", "Lefebvre", "Lopez",
    "Martin",    "Meyer",    "Moreau",    "Muller",   "Nakamura", "Nguyen", "Novak",    "Okafor",
    "Oliveira",  "Park",     "Patel",     "Perez",    "Petrov",   "Ricci",  "Rossi",    "Santos",
    "Sato",      "Schmidt",  "Schneider", "Silva",    "Singh",    "Suzuki", "Tanaka",   "Torres",
    "Wagner",    "Wang",     "Weber",     "Yamamoto", "Yilmaz",   "Zhang",  "Haddad",   "Mensah",
    "Lindqvist", "Horvat",   "Byrne",     "Duarte",
};

constexpr Place kPlaceList[] = {
    {"Lisbon", "PT", "Portugal"},
    {"Porto", "PT", "Portugal"},
    {"Madrid", "ES", "Spain"},
    {"Barcelona", "ES", "Spain"},
    {"Valencia", "ES", "Spain"},
    {"Paris", "FR", "France"},
    {"Lyon", "FR", "France"},
    {"Marseille", "FR", "France"},
    {"Berlin", "DE", "Germany"},
    {"Hamburg", "DE", "Germany"},
    {"Munich", "DE", "Germany"},
    {"Cologne", "DE", "Germany"},
    {"Amsterdam", "NL", "Netherlands"},
    {"Rotterdam", "NL", "Netherlands"},
    {"Brussels", "BE", "Belgium"},
    {"Vienna", "AT", "Austria"},
    {"Zurich", "CH", "Switzerland"},
    {"Geneva", "CH", "Switzerland"},
    {"Milan", "IT", "Italy"},
    {"Rome", "IT", "Italy"},
    {"Naples", "IT", "Italy"},
    {"Warsaw", "PL", "Poland"},
    {"Krakow", "PL", "Poland"},
    {"Prague", "CZ", "Czechia"},
    {"Stockholm", "SE", "Sweden"},
    {"Gothenburg", "SE", "Sweden"},
    {"Oslo", "NO", "Norway"},
    {"Copenhagen", "DK", "Denmark"},
    {"Helsinki", "FI", "Finland"},
    {"Dublin", "IE", "Ireland"},
    {"London", "GB", "United Kingdom"},
    {"Manchester", "GB", "United Kingdom"},
    {"Edinburgh", "GB", "United Kingdom"},
    {"New York", "US", "United States"},
    {"Chicago", "US", "United States"},
    {"Austin", "US", "United States"},
    {"Seattle", "US", "United States"},
    {"Denver", "US", "United States"},
    {"Toronto", "CA", "Canada"},
    {"Montreal", "CA", "Canada"},
    {"Mexico City", "MX", "Mexico"},
    {"Sao Paulo", "BR", "Brazil"},
    {"Buenos Aires", "AR", "Argentina"},
    {"Santiago", "CL", "Chile"},
    {"Bogota", "CO", "Colombia"},
    {"Lagos", "NG", "Nigeria"},
    {"Nairobi", "KE", "Kenya"},
    {"Cape Town", "ZA", "South Africa"},
    {"Cairo", "EG", "Egypt"},
    {"Istanbul", "TR", "Turkey"},
    {"Dubai", "AE", "United Arab Emirates"},
    {"Mumbai", "IN", "India"},
    {"Bangalore", "IN", "India"},
    {"Singapore", "SG", "Singapore"},
    {"Tokyo", "JP", "Japan"},
    {"Osaka", "JP", "Japan"},
    {"Seoul", "KR", "South Korea"},
    {"Sydney", "AU", "Australia"},
    {"Melbourne", "AU", "Australia"},
    {"Auckland", "NZ", "New Zealand"},
};

constexpr std::string_view kStreetNameList[] = {
    "Oak",   "Maple",  "Harbor",   "Station", "Mill",     "Church",     "Market", "Garden",
    "River", "Hill",   "Park",     "Bridge",  "Castle",   "Orchard",    "Meadow", "Forest",
    "Lake",  "Sunset", "Liberty",  "Union",   "Victoria", "King",       "Queen",  "Elm",
    "Cedar", "Willow", "Chestnut", "Granite", "Canal",    "Lighthouse",
};

constexpr std::string_view kStreetKindList[] = {
    "Street", "Avenue", "Road", "Lane", "Boulevard", "Way", "Square", "Court",
};

constexpr std::string_view kEmailDomainList[] = {
    "gmail.com",    "outlook.com", "yahoo.com",  "proton.me", "icloud.com", "hotmail.com",
    "gmx.de",       "web.de",      "orange.fr",  "libero.it", "mail.ru",    "example.org",
    "fastmail.com", "zoho.com",    "yandex.com", "aol.com",
};

constexpr std::string_view kTierList[] = {
    "free", "basic", "plus", "pro", "business", "enterprise",
};

constexpr std::string_view kNotePhraseList[] = {
    "Prefers delivery after 6pm.",
    "Asked for invoices to be sent monthly.",
    "VIP customer since the spring campaign.",
    "Requested to be contacted by email only.",
    "Had an issue with a damaged parcel, resolved with a refund.",
    "Interested in the loyalty program.",
    "Signed up through a partner referral.",
    "Uses the mobile app for most purchases.",
    "Do not call on weekends.",
    "Shipping address verified by support.",
    "Account flagged for manual payment review, cleared.",
    "Likes limited editions and early access offers.",
    "Returned two items in the last quarter.",
    "Subscribed to the weekly newsletter.",
    "Opted out of SMS notifications.",
    "Requested a business invoice with VAT number.",
    "Gift wrapping requested for every order.",
    "Reported a bug in the checkout flow.",
    "Prefers eco-friendly packaging.",
    "Moved to a new address last year.",
};

constexpr std::string_view kOrderStatusList[] = {
    "delivered", "delivered", "delivered", "shipped",  "processing",
    "pending",   "cancelled", "refunded",  "returned", "on_hold",
};

constexpr std::string_view kCurrencyList[] = {
    "EUR", "USD", "GBP", "CHF", "SEK", "JPY", "BRL", "AUD",
};

constexpr std::string_view kShippingMethodList[] = {
    "standard", "express", "next_day", "pickup_point", "store_pickup", "freight",
};

constexpr std::string_view kCouponPrefixList[] = {
    "WELCOME",     "SPRING", "SUMMER", "AUTUMN", "WINTER",
    "BLACKFRIDAY", "VIP",    "FRIEND", "LOYAL",  "FLASH",
};

constexpr std::string_view kProductAdjectiveList[] = {
    "Classic",   "Modern",     "Vintage",  "Compact",   "Deluxe",    "Ultralight",
    "Rugged",    "Premium",    "Everyday", "Essential", "Urban",     "Alpine",
    "Coastal",   "Heritage",   "Studio",   "Smart",     "Wireless",  "Organic",
    "Recycled",  "Handmade",   "Portable", "Foldable",  "Insulated", "Waterproof",
    "Ergonomic", "Minimalist", "Nordic",   "Tropical",  "Midnight",  "Solar",
};

constexpr std::string_view kProductNounList[] = {
    "Backpack",       "Jacket",    "Sneakers",       "Headphones",
    "Lamp",           "Chair",     "Desk",           "Mug",
    "Kettle",         "Blender",   "Tent",           "Sleeping Bag",
    "Water Bottle",   "Notebook",  "Pen Set",        "Watch",
    "Sunglasses",     "Wallet",    "Scarf",          "Gloves",
    "Hoodie",         "T-Shirt",   "Jeans",          "Boots",
    "Speaker",        "Keyboard",  "Mouse",          "Monitor Stand",
    "Charger",        "Cable",     "Pillow",         "Blanket",
    "Towel",          "Candle",    "Vase",           "Plant Pot",
    "Frying Pan",     "Knife Set", "Cutting Board",  "Coffee Grinder",
    "Yoga Mat",       "Dumbbells", "Bicycle Helmet", "Rain Cover",
    "Umbrella",       "Suitcase",  "Camera Strap",   "Phone Case",
    "Desk Organizer", "Bookshelf",
};

constexpr std::string_view kColorList[] = {
    "black", "white", "grey", "navy",   "red",    "green",  "olive", "blue",
    "beige", "brown", "pink", "yellow", "orange", "purple", "teal",  "sand",
};

constexpr std::string_view kSizeList[] = {
    "XS", "S", "M", "L", "XL", "XXL", "one-size",
};

constexpr std::string_view kMaterialList[] = {
    "cotton", "wool",  "linen",     "polyester", "leather", "nylon",
    "bamboo", "steel", "aluminium", "ceramic",   "glass",   "oak",
};

constexpr std::string_view kEventKindList[] = {
    "page_view",    "page_view",       "page_view",        "product_view",   "product_view",
    "search",       "add_to_cart",     "remove_from_cart", "checkout_start", "checkout_done",
    "login",        "logout",          "signup",           "password_reset", "review_posted",
    "wishlist_add", "newsletter_open", "support_ticket",   "photo_upload",   "telemetry",
};

constexpr std::string_view kEventSourceList[] = {
    "web", "web", "ios", "android", "email", "api", "pos",
};

constexpr std::string_view kSiteSectionList[] = {
    "products", "category", "collections", "account", "cart", "checkout", "search",  "help",
    "blog",     "stores",   "gift-cards",  "returns", "sale", "new",      "outdoor",
};

constexpr std::string_view kReferrerList[] = {
    "direct",        "google.com/search", "bing.com/search", "duckduckgo.com",
    "instagram.com", "facebook.com",      "newsletter",      "partner-affiliate",
    "youtube.com",   "reddit.com",        "tiktok.com",      "pinterest.com",
};

constexpr std::string_view kUserAgentList[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
    "AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 "
    "Firefox/121.0",
    "ShopApp/4.12.1 (iOS 17.1; iPhone15,2)",
    "ShopApp/4.12.0 (Android 13; SM-S911B)",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
};

}  // namespace

const Vocab kFirstNames = kFirstNameList;
const Vocab kLastNames = kLastNameList;
const std::span<const Place> kPlaces = kPlaceList;
const Vocab kStreetNames = kStreetNameList;
const Vocab kStreetKinds = kStreetKindList;
const Vocab kEmailDomains = kEmailDomainList;
const Vocab kTiers = kTierList;
const Vocab kNotePhrases = kNotePhraseList;
const Vocab kOrderStatuses = kOrderStatusList;
const Vocab kCurrencies = kCurrencyList;
const Vocab kShippingMethods = kShippingMethodList;
const Vocab kCouponPrefixes = kCouponPrefixList;
const Vocab kProductAdjectives = kProductAdjectiveList;
const Vocab kProductNouns = kProductNounList;
const Vocab kColors = kColorList;
const Vocab kSizes = kSizeList;
const Vocab kMaterials = kMaterialList;
const Vocab kEventKinds = kEventKindList;
const Vocab kEventSources = kEventSourceList;
const Vocab kSiteSections = kSiteSectionList;
const Vocab kReferrers = kReferrerList;
const Vocab kUserAgents = kUserAgentList;

}  // namespace cofre::bench
