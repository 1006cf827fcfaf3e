"""SMS provider sandboxes: Alibaba Cloud SMS (dysmsapi 2017-05-25), speaking its wire format.

The sandbox checks the request signature with the configured AccessKey secret, answers
SendSms like Alibaba and keeps every accepted message in an inbox that tests and the demo
read back (GET /inbox?phone=...).
"""

from simulators.sms.alibaba import AlibabaSmsSandbox, SmsMessage, SmsSandboxServer, serve_in_thread

__all__ = ["AlibabaSmsSandbox", "SmsMessage", "SmsSandboxServer", "serve_in_thread"]
