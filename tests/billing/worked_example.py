"""The worked example's input: reference tables and an AWS CUR, as text.

Three customers of a Canadian reseller: Acme (CAD, Quebec taxes, a 50 CAD credit), Beta (USD,
Ontario HST) and Gamma (no AWS pricebook: the seed's error); one account nobody owns. The
expected invoices are asserted in test_generate_worked_example.py; other test folders start
from these tables and say what they change.
"""

from __future__ import annotations

import datetime as dt

TODAY = dt.date(2025, 11, 20)

TABLES = {
    "reseller": """
        name,address,contact_email,logo_file,payment_terms_days,portal_url
        Maple Cloud Partners,1 King St W Toronto,billing@maple.example,,30,https://portal.maple.example
    """,
    "customers": """
        customer_id,name,contact_name,contact_email,billing_address,tax_jurisdiction,payment_terms_days
        100001,Acme Corp,Ann Smith,ann@acme.example,1 Main St,CA-QC,
        100002,Beta Ltd,Bob Jones,bob@beta.example,2 High St,CA-ON,15
        100003,Gamma Inc,Gil Ray,gil@gamma.example,3 Low St,CA-ON,
    """,
    "customer_vendors": """
        customer_id,vendor,pricebook,invoice_currency
        100001,aws,Standard,CAD
        100002,aws,Standard,USD
    """,
    "accounts": """
        customer_id,vendor,account_id,account_name
        100001,aws,111111111111,acme-prod
        100002,aws,222222222222,beta-main
        100003,aws,333333333333,gamma
    """,
    "pricebooks": """
        pricebook,effective_from,vendor,scope,match,markup_percent
        Standard,2025-01,aws,default,,15
        Standard,2025-01,aws,service,AmazonEC2,10
        Standard,2025-01,aws,sku,USE1-TimedStorage-ByteHrs,-5
    """,
    "support_plans": """
        pricebook,effective_from,vendor,percent,monthly_minimum
        Standard,2025-01,aws,3,25
    """,
    "tax_rates": """
        jurisdiction,tax_name,rate_percent,effective_from
        CA-QC,GST,5,2020-01
        CA-QC,QST,9.975,2020-01
        CA-ON,HST,13,2020-01
    """,
    "fx_rates": """
        period,from_currency,to_currency,rate
        2025-10,USD,CAD,1.3712
    """,
    "credits": """
        customer_id,credit_id,date,amount,currency,kind,earned_on,memo
        100001,C-1,2025-09-15,50.00,CAD,general,azure,Azure migration credit
    """,
}

CUR = [
    {"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:m5.large", "cost": "100.000000001"},
    {"account": "111111111111", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:m5.large", "cost": "0.0000000018"},
    {"account": "111111111111", "type": "Usage", "product": "AmazonS3", "family": "Storage", "usage_type": "USE1-TimedStorage-ByteHrs", "cost": "20.5"},
    {"account": "111111111111", "type": "Usage", "product": "AmazonS3", "family": "Storage", "usage_type": "USE1-Requests-Tier1", "cost": "0", "description": "$0.00 per request - first 2,000 requests free tier"},
    {"account": "111111111111", "type": "Tax", "product": "AmazonEC2", "family": "", "usage_type": "", "cost": "13.00"},
    {"account": "111111111111", "type": "Usage", "product": "prod-abc123", "family": "SaaS", "usage_type": "SoftwareUsage", "cost": "40", "entity": "AWS Marketplace"},
    {"account": "222222222222", "type": "Usage", "product": "AmazonRDS", "family": "Database Instance", "usage_type": "USE1-InstanceUsage:db.t3", "cost": "10.004999999"},
    {"account": "333333333333", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:t3.micro", "cost": "7"},
    {"account": "444444444444", "type": "Usage", "product": "AmazonEC2", "family": "Compute Instance", "usage_type": "USE1-BoxUsage:t3.micro", "cost": "3.5"},
]
