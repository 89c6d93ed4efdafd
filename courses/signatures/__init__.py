"""The code of ethics' signatures: which documents and signatures count (``documents``), the register, its pages."""
