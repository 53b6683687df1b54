"""Build knowledge/security/security-compliance-overview.pdf.

The PDF is part of the sample Keelstone knowledge base (a fictional company).
All text lives in this script so the document can be regenerated
deterministically:

    /work/main/.venv/bin/python scripts/build_security_pdf.py

Only core PDF fonts (Helvetica) and plain ASCII text are used so that the text
layer extracts cleanly with pypdf.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "knowledge" / "security" / "security-compliance-overview.pdf"

TITLE = "Keelstone Security and Compliance Overview"
SUBTITLE = "Keelstone Platform - customer-facing summary - version 4.2, November 2026"
CREATION_DATE = dt.datetime(2026, 11, 20, 9, 0, 0, tzinfo=dt.UTC)

# Each section: (heading, [blocks]); a block is a paragraph string, or a list
# of strings rendered as bullets.
SECTIONS: list[tuple[str, list[str | list[str]]]] = [
    (
        "1. About this document",
        [
            "This overview summarises how Keelstone protects customer data across the "
            "Keelstone Platform and its four modules: Keelstone Flow, Keelstone Lens, "
            "Keelstone Reach and Keelstone Vault. It is written for security, risk and "
            "procurement teams evaluating Keelstone, and it may be shared without a "
            "non-disclosure agreement. Detailed evidence, including the SOC 2 Type II "
            "report and the penetration test executive summary, is available in the "
            "protected section of the trust portal at trust.keelstone.example after an "
            "NDA is signed.",
            "Keelstone operates a single information security management system that "
            "covers all modules, all six data residency regions and all deployment "
            "options (Keelstone Cloud, Keelstone Dedicated and hybrid deployments with "
            "the Edge Agent). The programme is owned by the Chief Information Security "
            "Officer and reviewed by the board's audit committee twice a year.",
        ],
    ),
    (
        "2. Certifications and compliance",
        [
            "Keelstone maintains the following independent certifications and attestations:",
            [
                "SOC 2 Type II covering the Security, Availability and Confidentiality "
                "trust services criteria. The most recent report covers 1 October 2025 to "
                "30 September 2026 and was issued in November 2026. A new report is issued "
                "every year.",
                "ISO/IEC 27001:2022 certification of the information security management "
                "system, held since 2021, with annual surveillance audits.",
                "ISO/IEC 27701:2019 certification for privacy information management.",
                "CSA STAR Level 1: a completed CAIQ v4 self-assessment is published.",
            ],
            "Keelstone supports customer compliance with the following regulations:",
            [
                "HIPAA: Keelstone signs a Business Associate Agreement (BAA) with customers "
                "on the Enterprise edition who process protected health information.",
                "GDPR and UK GDPR: the Keelstone Data Processing Addendum includes the EU "
                "Standard Contractual Clauses and the UK International Data Transfer "
                "Addendum.",
                "CCPA/CPRA: Keelstone acts as a service provider and does not sell or share "
                "customer personal information.",
            ],
        ],
    ),
    (
        "3. Encryption",
        [
            "All customer data is encrypted at rest with AES-256 (AES-256-GCM), "
            "including databases, object storage, event streams, search indexes, "
            "backups and the Lens Managed Warehouse. Data in transit over public "
            "networks is encrypted with TLS 1.3; TLS 1.2 is the minimum accepted "
            "version for older clients and database servers. Service-to-service "
            "traffic inside the platform uses mutual TLS. HTTP Strict Transport "
            "Security is enabled on all public endpoints.",
            "Secrets used by Flow connectors (OAuth tokens, API keys, passwords) are "
            "stored in the platform secret store, encrypted under per-tenant keys and "
            "never shown again after entry. Edge Agent credentials for on-premises "
            "systems remain inside the customer network and are never transmitted to "
            "Keelstone.",
        ],
    ),
    (
        "4. Key management",
        [
            "Keelstone uses envelope encryption. Each tenant has its own data keys, "
            "which are wrapped by key-encryption keys. Keelstone root keys are held in "
            "FIPS 140-2 Level 3 validated hardware security modules, and "
            "Keelstone-managed keys rotate automatically every 90 days.",
            "Enterprise customers can use Customer-Managed Keys in Keelstone Vault. "
            "The customer's key, held in AWS KMS, Azure Key Vault, Google Cloud KMS "
            "or an on-premises HSM through KMIP, wraps the tenant's data keys. "
            "Keelstone never holds the customer's root key material. If the customer "
            "disables or revokes its key, the tenant's data becomes unreadable within "
            "5 minutes across all services, caches and backups. Every key operation "
            "is recorded in the Immutable Audit Log.",
        ],
    ),
    (
        "5. Data residency",
        [
            "Customers choose the region where their data is stored and processed. "
            "Keelstone currently operates six regions:",
            [
                "US East (N. Virginia)",
                "US West (Oregon)",
                "Canada Central (Montreal)",
                "EU Central (Frankfurt)",
                "UK South (London)",
                "Asia Pacific (Sydney)",
            ],
            "Customer data at rest, processing, backups, audit logs and Ask Lens model "
            "inference stay within the selected region. The chosen region is recorded "
            "in the order form and is contractually binding. Enterprise customers can "
            "operate workspaces in more than one region, with Vault residency rules "
            "that prevent data tagged for one region from being written to another. "
            "The global control plane stores account configuration and billing data "
            "only, never customer business data.",
            "Ask Lens, the natural-language query feature, runs on Keelstone "
            "infrastructure in the customer's region. Prompts and data are not sent to "
            "third-party model providers and are never used to train models.",
        ],
    ),
    (
        "6. Identity, access and audit logging",
        [
            "Customer access: Keelstone supports single sign-on with SAML 2.0 and "
            "OpenID Connect, and user provisioning with SCIM 2.0. A user deprovisioned "
            "in the customer's identity provider loses access within 60 seconds. "
            "Multi-factor authentication is enforced for all users who do not sign in "
            "through SSO. Role-based and attribute-based policies control access down "
            "to row and column level across every module.",
            "Keelstone staff access: production access is granted just in time, "
            "requires a second-person approval, expires automatically within 8 hours "
            "and is recorded. Support staff can view customer data only with "
            "customer-granted, time-limited access. All staff pass background checks "
            "where local law permits and complete security and privacy training when "
            "they join and every year after.",
            "Audit logs: the Immutable Audit Log records every administrative action, "
            "sign-in, policy change, query, export and key operation. Entries are "
            "SHA-256 hash-chained and stored on write-once-read-many storage. "
            "Retention is 90 days on Team, 400 days on Business and up to 7 years on "
            "Enterprise. Events can stream to the customer's SIEM within 60 seconds.",
        ],
    ),
    (
        "7. Application security and penetration testing",
        [
            "Keelstone follows a secure development lifecycle: threat modelling for "
            "new features, mandatory peer review, static analysis and dependency "
            "scanning on every change, and signed build artifacts. Infrastructure is "
            "defined as code and changes are reviewed before deployment.",
            "Independent third-party penetration tests of the platform, the Edge Agent "
            "and the public APIs are performed twice a year, and additionally before "
            "major architecture changes. A private bug bounty programme runs "
            "continuously. The executive summary of the latest penetration test is "
            "available under NDA.",
            "Vulnerabilities are remediated within the following target times: "
            "critical within 7 days, high within 30 days and medium within 90 days.",
        ],
    ),
    (
        "8. Incident response and breach notification",
        [
            "A security on-call team is available 24x7. Suspected security incidents "
            "are triaged within 30 minutes of detection and handled under a documented "
            "incident response plan that is exercised in tabletop tests every quarter.",
            "Keelstone notifies affected customers of a confirmed security breach "
            "affecting their data within 48 hours of confirmation, through the "
            "customer's designated security contacts. Notifications describe the "
            "nature of the incident, the data affected and the measures taken. A "
            "written post-incident report follows within 10 business days. "
            "Availability incidents are published at status.keelstone.example.",
            "Key commitments at a glance:",
            [
                "Security incident triage: within 30 minutes of detection",
                "Breach notification: within 48 hours of confirmation",
                "Post-incident report: within 10 business days",
            ],
        ],
    ),
    (
        "9. Availability, backups and disaster recovery",
        [
            "Every region runs across three availability zones. Keelstone commits to "
            "monthly uptime of 99.9% on Team, 99.95% on Business and Enterprise, and "
            "99.99% on Keelstone Dedicated, with service credits if the commitment is "
            "missed. Measured platform availability over the 12 months to October 2026 "
            "was 99.98%.",
            "Backups are taken every 15 minutes, encrypted, stored within the "
            "customer's region and retained for 35 days. The recovery point objective "
            "(RPO) is 15 minutes and the recovery time objective (RTO) is 4 hours. "
            "Disaster recovery procedures are tested twice a year, and a summary of the "
            "latest test is available under NDA.",
            "Key figures at a glance:",
            [
                "Uptime SLA: 99.9% Team, 99.95% Business and Enterprise, 99.99% Dedicated",
                "Backup frequency: every 15 minutes, retained for 35 days",
                "Recovery point objective (RPO): 15 minutes",
                "Recovery time objective (RTO): 4 hours",
            ],
        ],
    ),
    (
        "10. Subprocessors",
        [
            "Keelstone uses a small number of subprocessors. The current list is "
            "published on the trust portal, and customers receive 30 days advance "
            "notice of any new subprocessor, with the right to object on reasonable "
            "data protection grounds.",
            [
                "Amazon Web Services - cloud infrastructure hosting in all six regions.",
                "Microsoft Azure - hosting for Keelstone Dedicated deployments that "
                "customers choose to run on Azure.",
                "Cloudflare - edge network, web application firewall and DDoS "
                "protection for traffic in transit.",
                "Datadog - infrastructure monitoring; receives operational metadata "
                "only, not customer business data.",
                "Zendesk - support ticketing; processes only what customers include "
                "in support requests.",
                "Twilio - SMS delivery for Keelstone Reach, only for customers that "
                "use the SMS channel.",
            ],
        ],
    ),
    (
        "11. Data retention and deletion",
        [
            "Customers can export their data at any time through the APIs and for 30 "
            "days after their subscription ends. Keelstone deletes customer data "
            "within 30 days after that export window closes, and backups age out "
            "within 35 days. A deletion certificate is available on request.",
            "For questions about this document, contact your Keelstone account team or "
            "security@keelstone.example.",
        ],
    ),
]


class SecurityPDF(FPDF):
    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, TITLE, align="L")
        self.ln(10)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 10, f"Keelstone - customer-safe - page {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)


def _check_ascii(text: str) -> str:
    text.encode("ascii")  # raises if a non-ASCII character slipped in
    return text


def build(output: Path = OUTPUT) -> Path:
    pdf = SecurityPDF(format="A4")
    pdf.set_title(TITLE)
    pdf.set_author("Keelstone Trust and Compliance")
    pdf.set_subject("Security, privacy and compliance summary for the Keelstone Platform")
    pdf.set_keywords("Keelstone, security, compliance, SOC 2, ISO 27001, HIPAA, GDPR")
    pdf.set_creator("scripts/build_security_pdf.py")
    pdf.set_creation_date(CREATION_DATE)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(0, 10, _check_ascii(TITLE), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 6, _check_ascii(SUBTITLE), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)

    for heading, blocks in SECTIONS:
        pdf.start_section(heading)  # a PDF bookmark: Pitchcraft reads it as the section path
        pdf.set_font("Helvetica", "B", 13)
        pdf.ln(2)
        pdf.multi_cell(0, 8, _check_ascii(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10.5)
        for block in blocks:
            if isinstance(block, str):
                pdf.multi_cell(0, 5.5, _check_ascii(block), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            else:
                for item in block:
                    pdf.set_x(pdf.l_margin + 4)
                    pdf.multi_cell(0, 5.5, _check_ascii("- " + item), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)

    output.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(output))
    return output


if __name__ == "__main__":
    path = build()
    print(f"wrote {path.relative_to(ROOT)}")
