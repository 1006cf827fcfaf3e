"""Payment provider sandboxes: WeChat Pay API v3 and Alipay, speaking their real callback wire formats.

Keys are generated at run time (never committed): each sandbox holds the provider's
private key and hands the wallet the matching public key through wallet_env().
"""
